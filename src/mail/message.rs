//! Turning a stored outbox row into a MIME message: the headers a receiving server and a mail
//! program need to treat it properly (one-click unsubscribe for non-essential mail, "no person
//! sent this" for scheduled mail), and text that survives transport without mangling links.

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{
    ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue,
};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};

use crate::config::Settings;
use crate::db::models::outbox::OutboxMessage;
use crate::mail::MailError;

/// The `From:` mailbox, parsed once from `MEND_MAIL_FROM` so a typo fails at start-up.
pub fn sender(settings: &Settings) -> Result<Mailbox, MailError> {
    settings
        .mail_from
        .parse()
        .map_err(|source| MailError::Sender { value: settings.mail_from.clone(), source })
}

/// Builds the message sent at `now`: plain text alone, or text and HTML as alternatives, with
/// the list headers only when the row carries them (essential mail never does).
pub fn compose(
    from: &Mailbox,
    row: &OutboxMessage,
    now: DateTime<Utc>,
) -> Result<Message, MailError> {
    let to: Mailbox = row.recipient.parse().map_err(MailError::Recipient)?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&row.subject)
        .date(now.into())
        .message_id(Some(message_id(from, row)));
    if let Some(url) = row.list_unsubscribe.as_deref() {
        builder = builder
            .header(ListUnsubscribe(format!("<{url}>")))
            .header(ListUnsubscribePost::ONE_CLICK);
    }
    if row.auto_submitted {
        builder = builder.header(AutoSubmitted::AUTO_GENERATED);
    }
    let text = part(ContentType::TEXT_PLAIN, &row.body_text);
    let built = match &row.body_html {
        Some(html) => builder.multipart(
            MultiPart::alternative()
                .singlepart(text)
                .singlepart(part(ContentType::TEXT_HTML, html)),
        ),
        None => builder.singlepart(text),
    };
    built.map_err(MailError::Build)
}

/// The longest line SMTP and RFC 5322 allow, in octets before the CRLF.
const MAX_LINE_OCTETS: usize = 998;

/// One text part sent as written: 8-bit UTF-8 (7-bit when it is all ASCII), so a developer
/// reading the `.eml` sees links exactly as a learner clicks them; quoted-printable would cut
/// long URLs with soft line breaks. lettre's own chooser refuses 8-bit for any line over 76
/// characters, which every paragraph of our mail has, hence the check here against the real
/// limit. A body 8-bit cannot carry (a line over 998 octets, a NUL) falls back to lettre's
/// quoted-printable or base64: still delivered intact, only less readable raw.
fn part(content_type: ContentType, text: &str) -> SinglePart {
    let crlf = crlf_lines(text);
    let fits = !crlf.contains('\0') && crlf.split("\r\n").all(|l| l.len() <= MAX_LINE_OCTETS);
    let body = if fits {
        let encoding = if text.is_ascii() {
            ContentTransferEncoding::SevenBit
        } else {
            ContentTransferEncoding::EightBit
        };
        // Checked just above: CRLF line ends only, no line over the limit, no NUL; SMTP
        // dot-stuffing is the transport's job.
        Body::dangerous_pre_encoded(crlf.into_bytes(), encoding)
    } else {
        Body::new(text.to_owned())
    };
    SinglePart::builder().header(content_type).body(body)
}

/// `text` with every line ending (LF, CRLF or a lone CR) written as CRLF, as SMTP requires.
fn crlf_lines(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    unified.replace('\n', "\r\n")
}

/// Stable across retries, so a receiver can drop the copy a crashed worker may send again;
/// public so the admin console shows the header exactly as sent.
pub fn message_id(from: &Mailbox, row: &OutboxMessage) -> String {
    format!("<outbox.{}.{}@{}>", row.id, row.created_at.and_utc().timestamp(), from.email.domain())
}

/// `List-Unsubscribe: <https://…>` (RFC 2369): where a mail program's "unsubscribe" button goes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// A header whose value is one fixed token, so it can never carry anything from a row.
macro_rules! fixed_header {
    ($(#[$doc:meta])* $name:ident, $header:literal, $constant:ident = $value:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        struct $name;

        impl $name {
            const $constant: Self = Self;
        }

        impl Header for $name {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($header)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                if s.trim().eq_ignore_ascii_case($value) {
                    Ok(Self)
                } else {
                    Err(format!("expected {:?}", $value).into())
                }
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), $value.to_owned())
            }
        }
    };
}

fixed_header!(
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): a POST to the
    /// `List-Unsubscribe` URL unsubscribes at once, with no page to read and no sign-in.
    ListUnsubscribePost, "List-Unsubscribe-Post", ONE_CLICK = "List-Unsubscribe=One-Click"
);

fixed_header!(
    /// `Auto-Submitted: auto-generated` (RFC 3834): a scheduler sent this, so auto-responders
    /// (out-of-office replies) stay silent.
    AutoSubmitted, "Auto-Submitted", AUTO_GENERATED = "auto-generated"
);

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn row(html: Option<&str>) -> OutboxMessage {
        let at = at().naive_utc();
        OutboxMessage {
            id: 7,
            kind: "verify_email".into(),
            recipient: "Sam <sam@example.test>".into(),
            subject: "Hello".into(),
            body_text: "Plain words".into(),
            body_html: html.map(str::to_owned),
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: at,
            locked_until: None,
            last_error: None,
            dedupe_key: None,
            created_at: at,
            sent_at: None,
            list_unsubscribe: None,
            auto_submitted: false,
            payload: None,
        }
    }

    fn raw(row: &OutboxMessage) -> String {
        let from: Mailbox = "Mend <no-reply@mend.test>".parse().unwrap();
        let sent_at = at() + chrono::Duration::minutes(5);
        String::from_utf8(compose(&from, row, sent_at).unwrap().formatted()).unwrap()
    }

    /// The header block of a raw message, unfolded.
    fn headers(raw: &str) -> String {
        raw.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ")
    }

    #[test]
    fn text_and_html_become_alternatives_with_a_stable_id() {
        let first = raw(&row(Some("<p>Rich</p>")));
        assert!(first.contains("multipart/alternative"), "{first}");
        assert!(first.contains("Plain words") && first.contains("<p>Rich</p>"), "{first}");
        assert!(first.contains("Message-ID: <outbox.7.1800000000@mend.test>"), "{first}");
        let mut retried = row(Some("<p>Rich</p>"));
        retried.attempts = 3;
        let again = raw(&retried);
        assert!(again.contains("Message-ID: <outbox.7.1800000000@mend.test>"), "{again}");
    }

    #[test]
    fn the_date_is_when_it_was_sent() {
        let raw = raw(&row(None));
        // 1_800_000_000 + 300 s is Fri, 15 Jan 2027 08:05:00 UTC.
        assert!(headers(&raw).contains("Date: Fri, 15 Jan 2027 08:05:00 +0000"), "{raw}");
    }

    #[test]
    fn essential_mail_has_no_list_headers() {
        let raw = raw(&row(Some("<p>Rich</p>")));
        for name in ["List-Unsubscribe", "Auto-Submitted"] {
            assert!(!raw.contains(name), "{name} in {raw}");
        }
    }

    #[test]
    fn reminders_carry_one_click_unsubscribe_and_auto_submitted() {
        let mut reminder = row(Some("<p>Rich</p>"));
        reminder.list_unsubscribe = Some("https://mend.test/unsubscribe/7.r42.abcDEF-_".into());
        reminder.auto_submitted = true;
        let headers = headers(&raw(&reminder));
        assert!(
            headers.contains("List-Unsubscribe: <https://mend.test/unsubscribe/7.r42.abcDEF-_>"),
            "{headers}"
        );
        assert!(headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{headers}");
        assert!(headers.contains("Auto-Submitted: auto-generated"), "{headers}");
    }

    #[test]
    fn partner_updates_unsubscribe_without_being_auto_submitted() {
        let mut update = row(None);
        update.list_unsubscribe = Some("https://mend.test/unsubscribe/7.p.x".into());
        let headers = headers(&raw(&update));
        assert!(headers.contains("List-Unsubscribe-Post"), "{headers}");
        assert!(!headers.contains("Auto-Submitted"), "{headers}");
    }

    #[test]
    fn text_is_8bit_utf8_and_long_links_stay_on_one_line() {
        let link = format!("https://mend.test/account/verify?token={}", "a1b2=c3".repeat(30));
        let mut message = row(Some(&format!("<p>Café — <a href=\"{link}\">here</a></p>")));
        message.body_text = format!("Café — follow this:\n\n{link}\n");
        let raw = raw(&message);
        assert_eq!(raw.matches("Content-Transfer-Encoding: 8bit").count(), 2, "{raw}");
        assert!(raw.contains(&format!("\r\n{link}\r\n")), "{raw}");
        assert!(raw.contains(&format!("href=\"{link}\"")), "{raw}");
        assert!(raw.contains("Café —"), "{raw}");
        assert!(raw.lines().all(|line| line.len() <= MAX_LINE_OCTETS), "{raw}");
        assert!(raw.contains("charset=utf-8"), "{raw}");
    }

    #[test]
    fn ascii_text_is_7bit_with_crlf_line_ends() {
        let mut message = row(None);
        message.body_text = "One\ntwo\r\nthree\rfour".into();
        let raw = raw(&message);
        assert!(raw.contains("Content-Transfer-Encoding: 7bit"), "{raw}");
        assert!(raw.ends_with("\r\n\r\nOne\r\ntwo\r\nthree\r\nfour\r\n"), "{raw:?}");
    }

    #[test]
    fn a_line_too_long_for_8bit_falls_back_to_a_safe_encoding() {
        let mut message = row(None);
        message.body_text = "word ".repeat(300);
        let raw = raw(&message);
        assert!(!raw.contains("Content-Transfer-Encoding: 8bit"), "{raw}");
        assert!(raw.lines().all(|line| line.len() <= 998), "{raw}");
        let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        assert_eq!(parsed.body_text(0).unwrap().trim_end(), "word ".repeat(300).trim_end());
    }

    #[test]
    fn bad_recipient_is_an_error_not_a_panic() {
        let from: Mailbox = "no-reply@mend.test".parse().unwrap();
        let mut bad = row(None);
        bad.recipient = "not an address".into();
        assert!(matches!(compose(&from, &bad, at()), Err(MailError::Recipient(_))));
    }
}
