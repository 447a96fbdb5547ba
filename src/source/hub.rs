//! The Hugging Face Hub as a source of per-folder archives: resolve URLs
//! (`{endpoint}/datasets/{repo}/resolve/{revision}/{file}`) and the token, which only
//! ever goes to the endpoint's own origin.

use super::http::BearerToken;

/// The Hub unless `HF_ENDPOINT` says otherwise.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
pub const DEFAULT_REVISION: &str = "main";

/// A dataset repository on a Hub endpoint.
#[derive(Clone)]
pub struct HubDataset {
    pub endpoint: String,
    pub repo: String,
    pub revision: String,
    /// From `HF_TOKEN`; never logged.
    pub token: Option<String>,
}

impl std::fmt::Debug for HubDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubDataset")
            .field("endpoint", &self.endpoint)
            .field("repo", &self.repo)
            .field("revision", &self.revision)
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

impl HubDataset {
    /// A dataset (the registry's `hub_repo`), with `HF_ENDPOINT` and `HF_TOKEN` from the
    /// environment.
    pub fn from_env(repo: &str) -> Self {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            endpoint: env("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_string()),
            repo: repo.to_string(),
            revision: DEFAULT_REVISION.to_string(),
            token: env("HF_TOKEN"),
        }
    }

    /// The resolve URL of one file of the dataset.
    pub fn resolve_url(&self, file: &str) -> String {
        format!(
            "{}/datasets/{}/resolve/{}/{}",
            self.endpoint.trim_end_matches('/'),
            self.repo,
            self.revision,
            file
        )
    }

    /// The token, scoped to the endpoint's origin.
    pub fn bearer(&self) -> Option<BearerToken> {
        BearerToken::for_origin_of(&self.endpoint, self.token.clone()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_urls_and_hidden_token() {
        let hub = HubDataset {
            endpoint: "http://127.0.0.1:9/".into(),
            repo: "teowu/LSVQ-videos".into(),
            revision: "main".into(),
            token: Some("hf_secret".into()),
        };
        assert_eq!(
            hub.resolve_url("yfcc-batch2.tar.gz"),
            "http://127.0.0.1:9/datasets/teowu/LSVQ-videos/resolve/main/yfcc-batch2.tar.gz"
        );
        assert!(!format!("{hub:?}").contains("hf_secret"));
        assert!(!format!("{:?}", hub.bearer().unwrap()).contains("hf_secret"));
    }
}
