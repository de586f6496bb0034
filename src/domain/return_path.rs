//! Where to send someone back to after signing in (`next=`): only a parsed, normalised path on
//! this site. Anything else (another host, a scheme, a backslash or a control character, also
//! when percent-encoded) is refused, so the return address can never become an open redirect
//! or a header the server cannot write.

use percent_encoding::percent_decode_str;
use url::Url;

/// How many layers of percent-encoding are looked through before giving up.
const DECODE_DEPTH: usize = 4;

/// A local path (and query) safe to put in a `Location` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnPath(String);

impl ReturnPath {
    /// The normalised local path `input` names, or `None` when it is not plainly one.
    pub fn parse(input: &str) -> Option<Self> {
        if !plain(input) {
            return None;
        }
        let base = Url::parse("http://mend.invalid/").ok()?;
        let url = base.join(input).ok()?;
        if url.origin() != base.origin() {
            return None;
        }
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        plain(&path).then_some(Self(path))
    }

    /// The path, ready for a `Location` header.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Starts with one `/`, and no decoding of it holds a control character, a backslash or a
/// second leading slash (`//host` and `/\host` are other sites to a browser).
fn plain(input: &str) -> bool {
    let mut text = input.to_owned();
    for _ in 0..DECODE_DEPTH {
        let refused = !text.starts_with('/')
            || text.starts_with("//")
            || text.chars().any(|c| c.is_control() || c == '\\');
        if refused {
            return false;
        }
        let Ok(decoded) = percent_decode_str(&text).decode_utf8() else { return false };
        if decoded == text {
            return true;
        }
        text = decoded.into_owned();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(input: &str) -> Option<String> {
        ReturnPath::parse(input).map(ReturnPath::into_string)
    }

    #[test]
    fn local_paths_are_kept_and_normalised() {
        assert_eq!(
            parsed("/courses/rebuilding-trust").as_deref(),
            Some("/courses/rebuilding-trust")
        );
        assert_eq!(parsed("/a/./b/../c?x=1#top").as_deref(), Some("/a/c?x=1"));
        assert_eq!(parsed("/é").as_deref(), Some("/%C3%A9"));
    }

    #[test]
    fn every_control_character_is_refused_raw_and_encoded() {
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            assert_eq!(parsed(&format!("/{c}/evil.example/")), None, "{c:?}");
            let mut bytes = [0; 4];
            let encoded: String =
                c.encode_utf8(&mut bytes).bytes().map(|b| format!("%{b:02X}")).collect();
            assert_eq!(parsed(&format!("/{encoded}/evil.example/")), None, "{encoded}");
            assert_eq!(parsed(&format!("/x?{encoded}")), None, "query {encoded}");
        }
    }

    #[test]
    fn known_bypass_shapes_are_refused() {
        for shape in [
            "",
            "dashboard",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%2f/evil.example",
            "/%2F%2Fevil.example",
            "/%5cevil.example",
            "/%252f/evil.example",
            "/%25252f%25252fevil.example",
            "https://evil.example",
            "https:evil.example",
            "javascript:alert(1)",
            "\t/evil.example",
            "/\t/evil.example",
            "/%09/evil.example/",
            " /evil",
            "/a/../..//evil.example",
            "/%ff",
        ] {
            assert_eq!(parsed(shape), None, "{shape:?}");
        }
    }
}
