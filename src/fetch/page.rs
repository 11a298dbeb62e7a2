//! Fetching one page for `optout explain`: its status, every response
//! header and the first [`HEAD_LIMIT`] bytes of its body, so that the
//! page-level signals ([`crate::signals::page`]) can be read from the
//! response itself. Redirects are followed by hand, at most
//! [`super::FetchOptions::max_redirects`], within the per-origin deadline;
//! there are no retries: a person is waiting, and a failure is reported as
//! it is.

use std::time::Instant;

use url::Url;

use super::{Fetcher, Hop, Unreachable, classify, redirect_target};
use crate::signals::html_meta::HEAD_LIMIT;

/// What fetching a page gave.
#[derive(Clone, Debug, Default)]
pub struct PageFetch {
    /// The URL asked.
    pub url: String,
    /// The URL that answered.
    pub final_url: String,
    /// Redirects followed.
    pub redirects: Vec<Hop>,
    /// The final status; `None` when no answer came.
    pub status: Option<u16>,
    /// Why no usable answer came, when none did.
    pub failure: Option<(Unreachable, String)>,
    /// Every header of the final answer, in order.
    pub headers: Vec<(String, String)>,
    /// The first bytes of the body.
    pub body: Vec<u8>,
    /// The body was longer than what was read.
    pub truncated: bool,
}

impl PageFetch {
    /// Whether the answer is HTML, by `Content-Type` or by its first bytes.
    #[must_use]
    pub fn is_html(&self) -> bool {
        let typed = self.headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("content-type") && v.to_ascii_lowercase().contains("html")
        });
        typed || crate::signals::robots::looks_like_html(&self.body)
    }
}

/// Fetches one page on a runtime of its own, for callers outside async
/// code (`explain`).
///
/// # Errors
///
/// When the runtime or the client cannot be set up; a page that cannot
/// be had is a [`PageFetch`] with its failure.
pub fn fetch_page_blocking(options: super::FetchOptions, url: &str) -> crate::Result<PageFetch> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::ErrorKind::Fetch(format!("cannot start the async runtime: {e}")))?;
    let fetcher = Fetcher::new(options)?;
    Ok(runtime.block_on(fetcher.fetch_page(url)))
}

impl Fetcher {
    /// Fetches `url` once, following redirects, within the deadline.
    pub async fn fetch_page(&self, url: &str) -> PageFetch {
        let mut page = PageFetch {
            url: url.to_owned(),
            final_url: url.to_owned(),
            ..PageFetch::default()
        };
        let deadline = Instant::now() + self.options.deadline;
        match tokio::time::timeout_at(deadline.into(), self.page_inner(&mut page)).await {
            Ok(()) => {}
            Err(_) => {
                page.failure = Some((
                    Unreachable::Timeout,
                    format!(
                        "no answer within the deadline of {}",
                        humantime::format_duration(self.options.deadline)
                    ),
                ));
            }
        }
        page
    }

    async fn page_inner(&self, page: &mut PageFetch) {
        let Ok(mut url) = Url::parse(&page.url) else {
            page.failure = Some((
                Unreachable::BadRedirect,
                format!("`{}` is not a URL", page.url),
            ));
            return;
        };
        loop {
            super::strip_credentials(&mut url);
            page.final_url = url.to_string();
            if let Some(why) = self.refused(&url) {
                page.failure = Some((Unreachable::Blocked, why));
                return;
            }
            let host = url.host_str().unwrap_or_default().to_owned();
            let _turn = self.hosts.lock(&host).await;
            let request = self
                .client
                .get(url.clone())
                .header(reqwest::header::ACCEPT_ENCODING, super::encoding::ACCEPT);
            let mut response = match request.send().await {
                Ok(response) => response,
                Err(e) => {
                    page.failure = Some(classify(&e, false));
                    return;
                }
            };
            let status = response.status().as_u16();
            page.status = Some(status);
            page.headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            if (300..400).contains(&status) && status != 304 {
                page.redirects.push(Hop {
                    url: url.to_string(),
                    status,
                });
                match redirect_target(&url, response.headers()) {
                    Some(next) if page.redirects.len() <= self.options.max_redirects => {
                        url = next;
                        continue;
                    }
                    Some(_) => {
                        page.failure = Some((
                            Unreachable::RedirectLimit,
                            format!("more than {} redirects", self.options.max_redirects),
                        ));
                    }
                    None => {
                        page.failure = Some((
                            Unreachable::BadRedirect,
                            format!("{status} without a usable http(s) `Location`"),
                        ));
                    }
                }
                return;
            }
            // A PDF, EPUB, image or video is read further, for the
            // metadata it embeds.
            let limit = crate::corpus::http_body::limit(&page.headers).max(HEAD_LIMIT);
            match super::read_decoded(&mut response, limit).await {
                Ok(decoded) => {
                    page.body = decoded.body;
                    page.truncated = decoded.truncated;
                }
                Err(failure) => page.failure = Some(failure),
            }
            return;
        }
    }
}
