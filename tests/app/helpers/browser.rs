//! `Browser`: one person's browser over real HTTP — a cookie jar, the headers a
//! same-origin form post carries, uploads — and `Response`, what came back.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub struct Response {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: String,
    /// The body as it came (a download).
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }

    /// The page (or fragment) as a browser parses it.
    pub fn page(&self) -> scraper::Html {
        if self.body.trim_start().starts_with("<!doctype") {
            scraper::Html::parse_document(&self.body)
        } else {
            scraper::Html::parse_fragment(&self.body)
        }
    }

    /// The visible text of what `css` selects, whitespace folded.
    pub fn text_of(&self, css: &str) -> String {
        let selector = scraper::Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e}"));
        let page = self.page();
        let parts: Vec<String> = page.select(&selector).map(|e| visible_text(&e)).collect();
        parts.join(" ")
    }

    /// The visible text of each element `css` selects, in page order.
    pub fn texts_of(&self, css: &str) -> Vec<String> {
        let selector = scraper::Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e}"));
        self.page()
            .select(&selector)
            .map(|e| visible_text(&e))
            .collect()
    }

    /// What a person reads on the page: the body's visible text (the whole
    /// fragment for an htmx answer), whitespace folded; the `<title>` is not in it.
    pub fn text(&self) -> String {
        let page = self.page();
        let root = scraper::Selector::parse("body").unwrap();
        match page.select(&root).next() {
            Some(body) => visible_text(&body),
            None => visible_text(&page.root_element()),
        }
    }

    /// The text inside `<main>`: the page's own content, without navigation.
    pub fn main_text(&self) -> String {
        self.text_of("main")
    }

    /// The document's `<title>`, as the tab shows it.
    pub fn title(&self) -> String {
        let selector = scraper::Selector::parse("head > title").unwrap();
        let page = self.page();
        let title: String = page.select(&selector).flat_map(|t| t.text()).collect();
        title.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// How many elements `css` selects.
    pub fn count(&self, css: &str) -> usize {
        let selector = scraper::Selector::parse(css).unwrap_or_else(|e| panic!("{css}: {e}"));
        self.page().select(&selector).count()
    }

    /// The CSRF token the page carries in its forms.
    /// The Undo button's form on the page (or in an htmx answer's status swap):
    /// its action and its hidden fields.
    pub fn undo_form(&self) -> (String, Vec<(String, String)>) {
        let html = self.page();
        let form = scraper::Selector::parse("#flash form.undo-form, [hx-swap-oob] form.undo-form")
            .unwrap();
        let input = scraper::Selector::parse("input[type=hidden]").unwrap();
        let form = html
            .select(&form)
            .next()
            .unwrap_or_else(|| panic!("no Undo offered: {}", self.text_of("#flash")));
        let fields = form
            .select(&input)
            .map(|i| {
                let v = i.value();
                (
                    v.attr("name").unwrap().to_string(),
                    v.attr("value").unwrap_or_default().to_string(),
                )
            })
            .collect();
        (form.value().attr("action").unwrap().to_string(), fields)
    }

    pub fn csrf_token(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf_token in page:\n{}", self.body))
            + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }
}

/// An element's text as a person reads it: no script or style, whitespace folded.
fn visible_text(element: &scraper::ElementRef<'_>) -> String {
    let mut out = String::new();
    for node in element.descendants() {
        if let Some(text) = node.value().as_text() {
            let hidden = node.ancestors().any(|a| {
                a.value()
                    .as_element()
                    .is_some_and(|e| matches!(e.name(), "script" | "style" | "title" | "template"))
            });
            if !hidden {
                out.push(' ');
                out.push_str(text);
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every page's `<title>` is a short plain-text name: checked on every HTML
/// answer any test receives.
fn assert_short_title(response: &Response) {
    let is_html = response
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html"));
    if !is_html || !response.body.contains("<title>") {
        return;
    }
    let title = response.title();
    assert!(
        !title.is_empty() && title.chars().count() <= 80 && !title.contains('<'),
        "a <title> must be short plain text, got {} characters: {title:?}",
        title.chars().count()
    );
}

/// One browser: a cookie jar and the headers a same-origin form post carries.
pub struct Browser {
    pub base: String,
    client: awc::Client,
    jar: Mutex<HashMap<String, String>>,
}

impl Browser {
    /// A browser with no cookies talking to the app at `address` (`http://host:port`).
    pub fn new(address: &str) -> Browser {
        Browser {
            base: address.to_string(),
            client: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(30))
                .finish(),
            jar: Mutex::new(HashMap::new()),
        }
    }

    /// Another browser with a copy of this one's cookies, talking to `address`.
    pub fn copied_to(&self, address: &str) -> Browser {
        let browser = Browser::new(address);
        *browser.jar.lock().unwrap() = self.jar.lock().unwrap().clone();
        browser
    }

    fn cookie_header(&self) -> Option<String> {
        let jar = self.jar.lock().unwrap();
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn remember(&self, res: &Response) {
        let mut jar = self.jar.lock().unwrap();
        for cookie in res.set_cookies() {
            let pair = cookie.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = value.is_empty() || cookie.contains("Max-Age=0");
                if expired {
                    jar.remove(name);
                } else {
                    jar.insert(name.to_string(), value.to_string());
                }
            }
        }
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(name.to_string(), value.to_string());
    }

    async fn send(&self, req: awc::ClientRequest, body: Option<String>) -> Response {
        self.try_send(req, body).await.expect("request failed")
    }

    /// Sends a request; `None` when no answer came (the server is gone, the
    /// connection broke).
    async fn try_send(
        &self,
        mut req: awc::ClientRequest,
        body: Option<String>,
    ) -> Option<Response> {
        if let Some(cookies) = self.cookie_header() {
            req = req.insert_header(("Cookie", cookies));
        }
        let mut res = match body {
            Some(body) => {
                req.content_type("application/x-www-form-urlencoded")
                    .send_body(body)
                    .await
            }
            None => req.send().await,
        }
        .ok()?;
        let bytes = res.body().limit(64 * 1024 * 1024).await.ok()?;
        let response = Response {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        };
        self.remember(&response);
        assert_short_title(&response);
        Some(response)
    }

    /// A GET that may find nobody answering.
    pub async fn try_get(&self, path: &str) -> Option<Response> {
        self.try_send(self.client.get(format!("{}{path}", self.base)), None)
            .await
    }

    /// A same-origin form post that may find nobody answering.
    pub async fn try_post(&self, path: &str, form: &[(&str, &str)]) -> Option<Response> {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("Origin", self.base.clone()))
            .insert_header(("Sec-Fetch-Site", "same-origin"));
        self.try_send(req, Some(serde_urlencoded::to_string(form).unwrap()))
            .await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.client.get(format!("{}{path}", self.base)), None)
            .await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        self.send(req, None).await
    }

    /// A form post as a browser sends it from one of our pages.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.post_with(
            path,
            form,
            &[
                ("Origin", &self.base.clone()),
                ("Sec-Fetch-Site", "same-origin"),
            ],
        )
        .await
    }

    pub async fn post_with(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response {
        let mut req = self.client.post(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let body = serde_urlencoded::to_string(form).unwrap();
        self.send(req, Some(body)).await
    }

    /// A file upload as a browser sends it: multipart, the CSRF token as its first
    /// field (none when `token` is empty).
    pub async fn upload(
        &self,
        path: &str,
        token: &str,
        field: &str,
        filename: &str,
        content: &[u8],
    ) -> Response {
        self.multipart(path, token, &[], &[(field, filename, content)])
            .await
    }

    /// Loads `page`, takes its CSRF token and posts `form` with it.
    /// A multipart form post (as a browser sends `<input type=file multiple>`):
    /// text fields first, then each file under `files`.
    pub async fn upload_files(
        &self,
        path: &str,
        token: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Response {
        let files: Vec<(&str, &str, &[u8])> = files
            .iter()
            .map(|(name, bytes)| ("files", *name, *bytes))
            .collect();
        self.multipart(path, token, fields, &files).await
    }

    /// A multipart post: the CSRF token first (as the forms put it), `fields`, then
    /// `(field, filename, content)` file parts.
    pub async fn multipart(
        &self,
        path: &str,
        token: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Response {
        let boundary = "----lauf-test-boundary-9QpZ2xkTrZu0gW";
        let mut body = Vec::new();
        let token_field = [("csrf_token", token)];
        let first: &[(&str, &str)] = if token.is_empty() { &[] } else { &token_field };
        for (name, value) in first.iter().chain(fields) {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        for (field, filename, content) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("Origin", self.base.clone()))
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .insert_header((
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            ));
        if let Some(cookies) = self.cookie_header() {
            req = req.insert_header(("Cookie", cookies));
        }
        let mut res = req.send_body(body).await.expect("upload failed");
        let bytes = res
            .body()
            .limit(8 * 1024 * 1024)
            .await
            .expect("reading body");
        let response = Response {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        };
        self.remember(&response);
        response
    }

    /// The raw bytes and headers of a GET (files, thumbnails).
    pub async fn get_bytes(&self, path: &str) -> (u16, awc::http::header::HeaderMap, Vec<u8>) {
        self.get_bytes_with(path, &[]).await
    }

    pub async fn get_bytes_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, awc::http::header::HeaderMap, Vec<u8>) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        if let Some(cookies) = self.cookie_header() {
            req = req.insert_header(("Cookie", cookies));
        }
        let mut res = req.send().await.expect("request failed");
        let bytes = res
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .expect("reading body");
        (res.status().as_u16(), res.headers().clone(), bytes.to_vec())
    }

    /// A same-origin POST of raw bytes (malformed bodies, invalid UTF-8), with the
    /// session's CSRF token in the header as htmx sends it.
    pub async fn post_raw(&self, path: &str, token: &str, body: Vec<u8>) -> Response {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .insert_header(("Origin", self.base.clone()))
            .insert_header(("Sec-Fetch-Site", "same-origin"))
            .insert_header(("X-CSRF-Token", token.to_string()))
            .content_type("application/x-www-form-urlencoded");
        if let Some(cookies) = self.cookie_header() {
            req = req.insert_header(("Cookie", cookies));
        }
        let mut res = req.send_body(body).await.expect("request failed");
        let bytes = res.body().limit(8 * 1024 * 1024).await.unwrap_or_default();
        Response {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    /// A form post carrying the CSRF token of a page already fetched.
    pub async fn post_with_token(
        &self,
        page: &Response,
        action: &str,
        form: &[(&str, &str)],
    ) -> Response {
        let token = page.csrf_token();
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    /// Presses the Undo button `page` offers (a plain form) and follows it back.
    pub async fn press_undo(&self, page: &Response) -> Response {
        let (action, fields) = page.undo_form();
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let res = self.post(&action, &pairs).await;
        assert_eq!(res.status, 303, "{}", res.text());
        let back = res.header("location").unwrap();
        self.get(&back).await
    }

    pub async fn submit(&self, page: &str, action: &str, form: &[(&str, &str)]) -> Response {
        let token = self.get(page).await.csrf_token();
        let mut fields = vec![("csrf_token", token.as_str())];
        fields.extend_from_slice(form);
        self.post(action, &fields).await
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> Response {
        self.submit(
            "/signup",
            "/signup",
            &[
                ("email", email),
                ("name", "Test Person"),
                ("password", password),
                ("password_confirm", password),
                ("timezone", "Europe/Berlin"),
            ],
        )
        .await
    }

    pub async fn log_in(&self, email: &str, password: &str) -> Response {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Logs in as a request that a trusted proxy forwarded for `client_ip`.
    pub async fn log_in_from(&self, email: &str, password: &str, client_ip: &str) -> Response {
        let token = self.get("/login").await.csrf_token();
        let base = self.base.clone();
        self.post_with(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", email),
                ("password", password),
            ],
            &[
                ("Origin", &base),
                ("Sec-Fetch-Site", "same-origin"),
                ("X-Forwarded-For", client_ip),
            ],
        )
        .await
    }

    pub async fn log_out(&self) -> Response {
        let token = self.get("/settings").await.csrf_token();
        self.post("/logout", &[("csrf_token", &token)]).await
    }
}
