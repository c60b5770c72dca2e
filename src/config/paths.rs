//! Where packdesk keeps its configuration, data and logs.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;

use super::{Config, ConfigError};

/// The name of the station configuration file inside the config directory.
pub const CONFIG_FILE_NAME: &str = "station.toml";

/// The resolved directories of one packdesk run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The `station.toml` to read.
    pub config_file: PathBuf,
    /// Where user keymaps and themes are looked up (the directory of `config_file`).
    pub config_dir: PathBuf,
    /// The database, photos and generated documents.
    pub data_dir: PathBuf,
    /// Logs.
    pub state_dir: PathBuf,
    /// True when `config_file` was given with `--config`: then a missing file is an error.
    pub config_explicit: bool,
}

impl Paths {
    /// Resolves the paths: XDG defaults (`~/.config/packdesk/station.toml`,
    /// `~/.local/share/packdesk`, `~/.local/state/packdesk`) unless `--config` /
    /// `--data-dir` override them. With `--data-dir`, logs go to `<data-dir>/logs`.
    pub fn resolve(config: Option<&Path>, data_dir: Option<&Path>) -> Result<Paths, ConfigError> {
        let project = ProjectDirs::from("", "", "packdesk");
        let (config_file, config_dir) = match config {
            Some(file) => {
                let dir = match file.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                (file.to_path_buf(), dir)
            }
            None => {
                let dir = project.as_ref().ok_or(ConfigError::NoHome)?.config_dir();
                (dir.join(CONFIG_FILE_NAME), dir.to_path_buf())
            }
        };
        let (data_dir, state_dir) = match data_dir {
            Some(dir) => (dir.to_path_buf(), dir.join("logs")),
            None => {
                let project = project.as_ref().ok_or(ConfigError::NoHome)?;
                let state = project
                    .state_dir()
                    .map_or_else(|| project.data_local_dir().join("logs"), Path::to_path_buf);
                (project.data_dir().to_path_buf(), state)
            }
        };
        Ok(Paths {
            config_file,
            config_dir,
            data_dir,
            state_dir,
            config_explicit: config.is_some(),
        })
    }

    /// Loads `config_file`. A missing file means the defaults when it is the default XDG
    /// path, and an error when it was given with `--config`.
    pub fn load_config(&self) -> Result<Config, ConfigError> {
        if !self.config_explicit && !self.config_file.exists() {
            tracing::info!(
                path = %self.config_file.display(),
                "no station config file; using the defaults"
            );
            return Ok(Config::default());
        }
        Config::load(&self.config_file)
    }
}
