//! `PageContext`: what every page's layout needs.

use crate::auth::CurrentUser;

/// Who is signed in, the CSRF token for forms and htmx, and which navigation entry
/// is current.
#[derive(Debug, Clone, Default)]
pub struct PageContext {
    pub user_name: Option<String>,
    pub csrf: Option<String>,
    pub nav: &'static str,
    /// The status message this page shows (a redirect brought it).
    pub notice: Option<crate::domain::Notice>,
    /// How the user's workspace writes money.
    pub money_format: crate::domain::money::MoneyFormat,
}

impl PageContext {
    pub fn anonymous() -> Self {
        PageContext::default()
    }

    /// A page for a visitor holding a pre-session (login, sign-up).
    pub fn visitor(csrf: &str) -> Self {
        PageContext {
            csrf: Some(csrf.to_string()),
            ..Default::default()
        }
    }

    pub fn for_user(user: &CurrentUser, nav: &'static str) -> Self {
        PageContext {
            user_name: Some(user.user.display_name().to_string()),
            csrf: Some(user.csrf_token.clone()),
            nav,
            notice: user.notice.clone(),
            money_format: user.user.preferences.0.money,
        }
    }

    /// An amount in the workspace currency: `€12,050.00` or `12.050,00 €`.
    pub fn money(&self, amount: impl Amount) -> String {
        self.money_format.money(amount.money())
    }

    /// The versioned URL of an embedded static file.
    pub fn asset(&self, path: &str) -> String {
        super::embedded::url(path)
    }

    pub fn csrf_token(&self) -> &str {
        self.csrf.as_deref().unwrap_or_default()
    }

    /// `aria-current` for the navigation entry of this page.
    pub fn current(&self, nav: &str) -> &'static str {
        if self.nav == nav { "page" } else { "false" }
    }
}

/// An amount however a template holds it (by value or behind references).
pub trait Amount {
    fn money(&self) -> crate::domain::Money;
}

impl Amount for crate::domain::Money {
    fn money(&self) -> crate::domain::Money {
        *self
    }
}

impl<T: Amount + ?Sized> Amount for &T {
    fn money(&self) -> crate::domain::Money {
        (**self).money()
    }
}
