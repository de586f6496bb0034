//! The couple's agreement and sharing over HTML, without JavaScript: "Sign this version", the
//! signatures of the version shown, the agreement in force and its download after a later
//! edit, the "Share with my partner" toggle, the partner's read-only page, and 404 for anyone
//! else on every one of these routes.

use mend::domain::account::Role;

use crate::both_backends;
use crate::learner_web::text;
use crate::support::{Browser, TestApp, token_in};

const CONTRACT: &str = "/worksheets/rebuilding-trust.relationship-contract";
const PLAN: &str = "/worksheets/rebuilding-trust.boundary-plan";
const PARTNERS_PLAN: &str = "/worksheets/rebuilding-trust.boundary-plan.partner";

/// Ana and Ben, signed in, enrolled and linked through the partner pages (mail read).
async fn couple(app: &TestApp) -> (Browser<'_>, Browser<'_>) {
    let ana = enrolled(app, "ana@example.com").await;
    let ben = enrolled(app, "ben@example.com").await;
    assert_eq!(ana.submit("/partner/invite", &[("email", "ben@example.com")]).await.status(), 303);
    app.mail_to("ben@example.com", 1).await;
    assert_eq!(ben.submit("/invitation", &[("answer", "accept")]).await.status(), 303);
    app.mail_to("ana@example.com", 1).await;
    (ana, ben)
}

async fn enrolled<'a>(app: &'a TestApp, email: &str) -> Browser<'a> {
    let browser = app.signed_in_as(email, Role::Learner).await;
    let code = app.sample_access_code();
    browser.submit("/courses/rebuilding-trust/enroll", &[("access_code", &code)]).await;
    browser
}

/// The value of the hidden input `name` in the form posting to `action` on `page`.
fn hidden_in(page: &str, action: &str, name: &str) -> String {
    let form = page
        .split(&format!("action=\"{action}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no form for {action}"));
    let marker = format!("name=\"{name}\" value=\"");
    let start = form.find(&marker).unwrap_or_else(|| panic!("no {name} in {form}")) + marker.len();
    form[start..].split('"').next().unwrap().to_owned()
}

/// Saves the contract form as the page would (the revision it shows), `fidelity` as the first
/// answer.
async fn save_contract(browser: &Browser<'_>, fidelity: &str) -> reqwest::Response {
    let page = browser.get(CONTRACT).await.text().await.unwrap();
    let revision = hidden_in(&page, CONTRACT, "revision");
    let token = token_in(&page);
    let form = [
        ("csrf_token", token.as_str()),
        ("revision", revision.as_str()),
        ("action", "save"),
        ("answers.fidelity_means", fidelity),
        ("answers.boundaries", "No secrets\nPhones stay open"),
        ("answers.both_agree", "yes"),
    ];
    browser
        .client
        .post(format!("{}{CONTRACT}", browser.app.address))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Presses "Sign this version" on the contract page, typing `name`.
async fn sign(browser: &Browser<'_>, name: &str) -> reqwest::Response {
    let page = browser.get(CONTRACT).await.text().await.unwrap();
    let action = format!("{CONTRACT}/sign");
    let revision = hidden_in(&page, &action, "revision");
    browser.submit(&action, &[("revision", &revision), ("full_name", name)]).await
}

async fn download(browser: &Browser<'_>, path: &str) -> (u16, String, String, Vec<u8>) {
    let response = browser.get(path).await;
    let header = |name: &str| {
        response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    };
    let (kind, cache) = (header("content-type"), header("cache-control"));
    (response.status().as_u16(), kind, cache, response.bytes().await.unwrap().to_vec())
}

both_backends! {
    async fn partners_sign_their_contract_on_the_page_and_the_signed_one_outlives_an_edit(app: TestApp) {
        let (ana, ben) = couple(&app).await;
        let (status, page) = text(ana.get(CONTRACT).await).await;
        assert_eq!(status, 200);
        assert!(page.contains("You and your partner both see and edit this."), "{page}");
        assert!(page.contains("Once you have saved a first version, you can both sign it."), "{page}");

        let page = ana.get(CONTRACT).await.text().await.unwrap();
        let form = [("csrf_token", token_in(&page)), ("revision", "0".to_owned()), ("action", "save".to_owned()), ("answers.fidelity_means", "Honesty".to_owned())];
        assert_eq!(ana.client.post(format!("{}{CONTRACT}", app.address)).form(&form).send().await.unwrap().status(), 303);
        let (_, page) = text(ana.get(CONTRACT).await).await;
        assert!(page.contains("Before you sign, answer every question marked (required) and save."), "{page}");
        assert!(!page.contains(">Sign this version</button>"), "{page}");

        assert_eq!(save_contract(&ana, "Honesty every day").await.status(), 303);
        let (_, page) = text(ana.get(CONTRACT).await).await;
        assert!(page.contains("Nobody has signed this version yet."), "{page}");
        assert!(page.contains(">Sign this version</button>"), "{page}");

        let refused = sign(&ana, "   ").await;
        assert_eq!(refused.status(), 422, "a name is needed");
        let signed = sign(&ana, "Ana Lind").await;
        assert_eq!(signed.status(), 303);
        assert_eq!(signed.headers()["location"], format!("{CONTRACT}#agreement").as_str());
        app.mail_to("ben@example.com", 2).await;
        let (_, page) = text(ana.get(CONTRACT).await).await;
        assert!(page.contains("Signed by Ana Lind (you) on "), "{page}");
        assert!(page.contains("Waiting for your partner's signature."), "{page}");
        assert!(!page.contains(">Sign this version</button>"), "signed once is enough: {page}");

        let (_, page) = text(ben.get(CONTRACT).await).await;
        assert!(page.contains("Your partner has signed this version."), "{page}");
        assert_eq!(sign(&ben, "Ben Lind").await.status(), 303);
        app.mail_to("ana@example.com", 2).await;
        app.mail_to("ben@example.com", 3).await;
        let (_, page) = text(ben.get(CONTRACT).await).await;
        assert!(page.contains("— signed by both of you"), "{page}");
        let both = ["Ana Lind and Ben Lind", "Ben Lind and Ana Lind"];
        assert!(both.iter().any(|names| page.contains(&format!("Signed by {names} (version 2)."))), "{page}");
        let pdf_link = format!("{CONTRACT}/agreement/download?format=pdf");
        assert!(page.contains(&format!("href=\"{pdf_link}\"")), "{page}");
        let (status, kind, cache, bytes) = download(&ben, &pdf_link).await;
        assert_eq!((status, kind.as_str(), cache.as_str()), (200, "application/pdf", "no-store"));
        assert!(bytes.starts_with(b"%PDF"));

        assert_eq!(save_contract(&ana, "Honesty and kindness").await.status(), 303);
        app.mail_to("ben@example.com", 4).await;
        let (_, page) = text(ana.get(CONTRACT).await).await;
        assert!(page.contains("The new version needs both of your signatures again"), "{page}");
        assert!(page.contains("This version (version 3)"), "{page}");
        assert!(page.contains(">Sign this version</button>"), "{page}");
        let (status, _, _, markdown) = download(&ana, &format!("{CONTRACT}/agreement/download?format=md")).await;
        assert_eq!(status, 200, "the signed version stays downloadable");
        let markdown = String::from_utf8(markdown).unwrap();
        assert!(markdown.contains("Honesty every day") && !markdown.contains("kindness"), "{markdown}");
        assert!(markdown.contains("Ana Lind") && markdown.contains("Ben Lind"), "{markdown}");
        assert!(!app.logs().contains("Honesty every day"), "no answer reaches the log");
    }

    async fn a_private_worksheet_is_shared_with_the_partner_to_read_and_unshared(app: TestApp) {
        let (ana, ben) = couple(&app).await;
        let (_, page) = text(ana.get(PLAN).await).await;
        assert!(page.contains("Only you can see this, unless you choose to share it."), "{page}");
        let token = token_in(&page);
        let revision = hidden_in(&page, PLAN, "revision");
        let form = [("csrf_token", token.as_str()), ("revision", revision.as_str()), ("action", "save"), ("answers.need", "Quiet evenings")];
        ana.client.post(format!("{}{PLAN}", app.address)).form(&form).send().await.unwrap();
        assert_eq!(ben.get(PARTNERS_PLAN).await.status(), 404, "not shared yet");

        let share = format!("{PLAN}/share");
        assert_eq!(ana.submit(&share, &[("share", "maybe")]).await.status(), 422);
        assert_eq!(ana.submit(&share, &[("share", "yes")]).await.status(), 303);
        let (_, page) = text(ana.get(PLAN).await).await;
        assert!(page.contains("You and your partner can see this. Only you can change it."), "{page}");
        assert!(page.contains(">Stop sharing</button>"), "{page}");

        let (_, list) = text(ben.get("/worksheets").await).await;
        assert!(list.contains(&format!("href=\"{PARTNERS_PLAN}\"")), "{list}");
        let (status, theirs) = text(ben.get(PARTNERS_PLAN).await).await;
        assert_eq!(status, 200);
        assert!(theirs.contains("Your partner shared this with you to read. Only they can change it."), "{theirs}");
        assert!(theirs.contains("Quiet evenings") && !theirs.contains("<textarea"), "read-only: {theirs}");
        assert_eq!(ben.submit(PARTNERS_PLAN, &[("revision", "1"), ("answers.need", "x")]).await.status(), 404);
        assert_eq!(ben.submit(&format!("{PARTNERS_PLAN}/share"), &[("share", "no")]).await.status(), 404);
        let (status, _, _, _) = download(&ben, &format!("{PARTNERS_PLAN}/download?format=md")).await;
        assert_eq!(status, 200, "the partner may download what is shared with them");

        assert_eq!(ana.submit(&share, &[("share", "no")]).await.status(), 303);
        assert_eq!(ben.get(PARTNERS_PLAN).await.status(), 404, "sharing stopped");
        let (_, page) = text(ana.get(PLAN).await).await;
        assert!(page.contains(">Share with my partner</button>"), "{page}");
    }

    async fn strangers_get_not_found_on_every_signing_and_sharing_route(app: TestApp) {
        let (ana, ben) = couple(&app).await;
        save_contract(&ana, "Honesty every day").await;
        sign(&ana, "Ana Lind").await;
        sign(&ben, "Ben Lind").await;
        app.read_all_mail().await;
        assert_eq!(ana.submit(&format!("{PLAN}/share"), &[("share", "yes")]).await.status(), 303);
        for (email, role) in [("carol@example.com", Role::Learner), ("author@example.com", Role::Author), ("admin@example.com", Role::Admin)] {
            let stranger = app.signed_in_as(email, role).await;
            let agreement = format!("{CONTRACT}/agreement/download?format=pdf");
            for path in [agreement.as_str(), PARTNERS_PLAN, &format!("{PARTNERS_PLAN}/download?format=pdf")] {
                assert_eq!(stranger.get(path).await.status(), 404, "{email} GET {path}");
            }
            let posts: [(String, &[(&str, &str)]); 3] = [
                (format!("{CONTRACT}/sign"), &[("revision", "1"), ("full_name", "Carol")]),
                (format!("{PLAN}/share"), &[("share", "yes")]),
                (format!("{PARTNERS_PLAN}/share"), &[("share", "no")]),
            ];
            for (path, fields) in posts {
                assert_eq!(stranger.submit(&path, fields).await.status(), 404, "{email} POST {path}");
            }
        }
        let signed_out = Browser::new(&app);
        let status = signed_out.get(&format!("{CONTRACT}/agreement/download?format=pdf")).await.status();
        assert!(status == 303 || status == 401 || status == 404, "signed out: {status}");
    }
}
