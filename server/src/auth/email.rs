//! The emails Hearth sends for an app: verification links and password-reset links, over the
//! app's SMTP server (lettre), with the app's templates or Hearth's defaults. Sending happens
//! after the request that asked for it has answered, so a slow or failing mail server never
//! fails a sign-up; failures are logged.

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::apps::settings::users::{EmailSettings, EmailTemplate, SmtpSecurity};

/// Which email.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Verification,
    PasswordReset,
    /// An invitation to help manage the app in the dashboard.
    Invitation,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Verification => "verification",
            Kind::PasswordReset => "password_reset",
            Kind::Invitation => "invitation",
        }
    }

    fn template(self, settings: &EmailSettings) -> EmailTemplate {
        let custom = match self {
            Kind::Verification => settings.templates.verification.clone(),
            Kind::PasswordReset => settings.templates.password_reset.clone(),
            Kind::Invitation => None,
        };
        custom.unwrap_or_else(|| match self {
            Kind::Verification => EmailTemplate {
                subject: "Please verify your e-mail for {{appName}}".into(),
                text: "Hi,\n\nYou are being asked to confirm the e-mail address {{email}} with {{appName}}\n\n\
                       Click here to confirm it:\n{{link}}\n"
                    .into(),
            },
            Kind::PasswordReset => EmailTemplate {
                subject: "Password Reset for {{appName}}".into(),
                text: "Hi,\n\nYou requested to reset your password for {{appName}} (your username is '{{username}}').\n\n\
                       Click here to reset it:\n{{link}}\n"
                    .into(),
            },
            Kind::Invitation => EmailTemplate {
                subject: "You are invited to {{appName}}".into(),
                text: "Hi,\n\nYou are invited to {{appName}} as {{username}}.\n\n\
                       Open this link to accept (it works once, within 7 days):\n{{link}}\n"
                    .into(),
            },
        })
    }
}

/// What a template's placeholders stand for.
pub struct Vars<'a> {
    pub app_name: &'a str,
    pub username: &'a str,
    pub email: &'a str,
    pub link: &'a str,
}

fn fill(template: &str, vars: &Vars) -> String {
    template
        .replace("{{appName}}", vars.app_name)
        .replace("{{username}}", vars.username)
        .replace("{{email}}", vars.email)
        .replace("{{link}}", vars.link)
}

/// Builds the message (checking the addresses), then sends it in the background.
pub fn send(settings: &EmailSettings, kind: Kind, vars: Vars) -> Result<(), String> {
    let template = kind.template(settings);
    let from: Mailbox = settings.from.parse().map_err(|e| format!("bad sender: {e}"))?;
    let to: Mailbox = vars.email.parse().map_err(|e| format!("bad recipient: {e}"))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(fill(&template.subject, &vars))
        .header(ContentType::TEXT_PLAIN)
        .body(body(fill(&template.text, &vars)))
        .map_err(|e| format!("cannot build the message: {e}"))?;
    let transport = transport(settings).map_err(|e| format!("bad SMTP settings: {e}"))?;
    let kind = kind.name();
    tokio::spawn(async move {
        match transport.send(message).await {
            Ok(_) => tracing::info!(kind, "email sent"),
            Err(e) => tracing::warn!(kind, error = %e, "email could not be sent"),
        }
    });
    Ok(())
}

/// The text as is when it can travel so (ASCII, lines within SMTP's 998 characters), so links
/// stay whole in the raw message; quoted-printable or base64 otherwise, as lettre chooses.
fn body(text: String) -> Body {
    let plain = text.is_ascii() && !text.contains('\0') && text.lines().all(|l| l.len() <= 998);
    if plain {
        let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
        return Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit);
    }
    Body::new(text)
}

fn transport(settings: &EmailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let builder = match settings.security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host),
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)?,
    };
    let mut builder = builder.port(settings.port).timeout(Some(std::time::Duration::from_secs(20)));
    if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_every_placeholder() {
        let vars = Vars { app_name: "Demo", username: "ann", email: "ann@example.com", link: "http://x/y?token=t" };
        let out = fill("{{appName}} {{username}} {{email}} {{link}} {{unknown}}", &vars);
        assert_eq!(out, "Demo ann ann@example.com http://x/y?token=t {{unknown}}");
    }
}
