//! A mail's subject, plain text and HTML, in its recipient's language:
//! every sentence from the message catalogue (`mail-*` keys), the HTML
//! frame `mail.html` (askama, so every value is escaped). Links lead to a
//! page — the approvals page for whoever decides, the request's page for
//! the person who asked — never to an action: nothing changes by opening a
//! mail's link.

use crate::web::i18n::{Arg, Lang};
use askama::Template;
use lms_app::mail::Owed;

/// A mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub lang: Lang,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct MailHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    intro: &'a str,
    comment: Option<String>,
    link: &'a str,
    action: &'a str,
    footer: &'a str,
}

/// The kinds of notification a mail has its own sentences for (the
/// notification's kind without its `leave_request.` prefix).
const KINDS: [&str; 6] =
    ["submitted", "approved", "rejected", "cancelled", "cancellation_asked", "cancellation_refused"];

/// The mail of `owed`, linking into LMS at `base_url`.
pub fn render(owed: &Owed, base_url: &str) -> Rendered {
    let m = &owed.mail;
    let lang = m.language.as_deref().and_then(Lang::parse).unwrap_or_default();
    let greeting = lang.t_with("mail-greeting", &[("recipient", Arg::Text(m.name.clone()))]);
    let footer = lang.t("mail-footer");
    let kind = m.kind.strip_prefix("leave_request.").filter(|k| KINDS.contains(k));
    let (subject, intro, comment, link, action) = match (&owed.request, kind) {
        (Some(r), Some(kind)) => {
            let own = r.employee_id == m.recipient_id;
            // The sentences told to the person who asked differ from those
            // told to whoever decides (a cancellation goes either way).
            let key = if own && kind == "cancelled" { "cancelled-own".to_string() } else { kind.to_string() };
            let args = [
                ("name", Arg::Text(r.employee_name.clone())),
                ("type", Arg::Text(owed.leave_type_name.clone().unwrap_or_else(|| r.leave_type.clone()))),
                ("start", Arg::Text(lang.date(r.start_date))),
                ("end", Arg::Text(lang.date(r.end_date))),
                ("days", Arg::Text(lang.millis(r.amount))),
            ];
            let comment = r
                .comment
                .as_ref()
                .filter(|c| !c.trim().is_empty() && own)
                .map(|c| lang.t_with("mail-comment", &[("comment", Arg::Text(c.clone()))]));
            let (link, action) = if own {
                (format!("{base_url}/requests/{}", r.id), lang.t("mail-action-view"))
            } else {
                (format!("{base_url}/approvals"), lang.t("mail-action-approvals"))
            };
            (
                lang.t_with(&format!("mail-subject-{key}"), &args),
                lang.t_with(&format!("mail-intro-{key}"), &args),
                comment,
                link,
                action,
            )
        }
        // Anything else: the notification's own words, and LMS's home page.
        _ => (m.subject.clone(), m.body.clone(), None, format!("{base_url}/"), lang.t("mail-action-open")),
    };
    let text = {
        let mut t = format!("{greeting}\n\n{intro}\n\n");
        if let Some(c) = &comment {
            t.push_str(&format!("{c}\n\n"));
        }
        t.push_str(&format!("{action}: {link}\n\n-- \n{footer}\n"));
        t
    };
    let page = MailHtml {
        lang: lang.tag(),
        subject: &subject,
        greeting: &greeting,
        intro: &intro,
        comment: comment.clone(),
        link: &link,
        action: &action,
        footer: &footer,
    };
    // The frame is part of the build and renders; should it ever not, the
    // text alone still tells everything.
    let html = page.render().unwrap_or_else(|_| format!("<pre>{}</pre>", escape(&text)));
    Rendered { lang, subject, text, html }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Utc};
    use lms_app::mail::Claimed;
    use lms_store::requests::LeaveRequest;

    fn owed(kind: &str, recipient: i64, language: Option<&str>, comment: Option<&str>) -> Owed {
        Owed {
            mail: Claimed {
                id: 7,
                notification_id: 70,
                attempts: 0,
                kind: kind.into(),
                subject: "in-app subject".into(),
                body: "in-app body".into(),
                entity_type: "leave_request".into(),
                entity_id: 12,
                recipient_id: recipient,
                email: "someone@demo.local".into(),
                name: "Anna <Admin>".into(),
                active: true,
                language: language.map(String::from),
            },
            request: Some(LeaveRequest {
                id: 12,
                employee_id: 5,
                employee_name: "Eve & Co <script>".into(),
                manager_id: Some(2),
                leave_type: "annual".into(),
                start_date: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
                end_date: NaiveDate::from_ymd_opt(2027, 3, 3).unwrap(),
                half_day_start: false,
                half_day_end: true,
                year: 2027,
                amount: 2500,
                status: "pending".into(),
                reason: String::new(),
                created_at: Utc::now(),
                decided_by: None,
                decided_at: None,
                comment: comment.map(String::from),
                cancelled_by: None,
                cancelled_at: None,
            }),
            leave_type_name: Some("Annual leave".into()),
        }
    }

    #[test]
    fn a_manager_gets_the_approvals_page_in_their_language_escaped() {
        let r = render(&owed("leave_request.submitted", 2, Some("de"), None), "https://lms.example.com");
        assert_eq!(r.lang, Lang::De);
        assert!(r.subject.contains("Eve & Co <script>") && r.subject.contains("Annual leave"), "{}", r.subject);
        assert!(r.text.contains("https://lms.example.com/approvals"), "{}", r.text);
        assert!(r.text.contains("2,5") && r.text.contains("1. März 2027"), "{}", r.text);
        assert!(r.html.contains("Eve &#38; Co &#60;script&#62;"), "{}", r.html);
        assert!(!r.html.contains("<script>"), "{}", r.html);
        assert!(r.html.contains("href=\"https://lms.example.com/approvals\""), "{}", r.html);
        assert!(!r.text.contains('⟦') && !r.html.contains('⟦') && !r.subject.contains('⟦'));
    }

    #[test]
    fn the_requester_gets_their_request_page_and_the_comment() {
        let r = render(&owed("leave_request.rejected", 5, None, Some("Busy week")), "http://x");
        assert_eq!(r.lang, Lang::En);
        assert!(r.text.contains("http://x/requests/12") && r.text.contains("Busy week"), "{}", r.text);
        assert!(r.subject.contains("rejected"), "{}", r.subject);
    }

    #[test]
    fn every_kind_has_its_sentences_in_both_languages() {
        for lang in ["en", "de"] {
            for kind in KINDS {
                for recipient in [2, 5] {
                    let r =
                        render(&owed(&format!("leave_request.{kind}"), recipient, Some(lang), Some("c")), "http://x");
                    assert!(
                        !r.subject.contains('⟦') && !r.text.contains('⟦'),
                        "{lang} {kind}: {} {}",
                        r.subject,
                        r.text
                    );
                }
            }
        }
        let r = render(&owed("employee.created", 5, None, None), "http://x");
        assert_eq!((r.subject.as_str(), r.text.contains("in-app body")), ("in-app subject", true));
    }
}
