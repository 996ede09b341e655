// Loading the configuration file (DESIGN.md §5, docs/configuration.md) into a Config.
//
// The file is read, parsed as YAML, checked key by key and value by value, and the app secret is
// resolved. Every problem found is collected, and if there is any, one ConfigError carrying all of
// them is thrown; each problem reads "FILE:LINE:COL: key.path: what is wrong (what is expected)".
// Relative paths in the file (storage.database, hr.inbox, hr.archive, hr.rejected,
// feishu.app_secret_file) are resolved against the directory of the configuration file.
//
// No message ever contains the app secret, nor the value of an unknown key.
#pragma once

#include "config/config.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace dirsync::config {

// The parts of the process environment the loader reads, so that tests can supply their own.
struct Environment
{
  std::optional<std::string> credentials_directory; // $CREDENTIALS_DIRECTORY (systemd LoadCredential=)
  std::optional<std::string> app_secret;            // $DIRSYNC_APP_SECRET

  // Reads CREDENTIALS_DIRECTORY and DIRSYNC_APP_SECRET; an empty variable counts as unset.
  static Environment from_process();
};

// Whether the caller talks to Feishu and so needs the app secret. With `optional`, finding no
// secret at all is not a problem (feishu.app_secret stays empty); a secret source that is named
// but unusable (a missing or insecure app_secret_file) still is. Commands that only read the
// database or an HR file (validate, plan, status, explain, approve) load the config this way.
enum class SecretUse { required, optional };

// Loads and validates `file`, taking secrets from the process environment. Throws ConfigError
// with every problem found (a file that cannot be read is one problem).
Config load_config(const std::filesystem::path& file, SecretUse secret = SecretUse::required);

// The same with an explicit environment.
Config load_config(const std::filesystem::path& file, const Environment& env,
                   SecretUse secret = SecretUse::required);

// Validates `yaml_text` as if it had been read from `file`: `file` names the problems and its
// directory anchors relative paths; `file` itself is not read. Throws ConfigError.
Config parse_config(std::string_view yaml_text, const std::filesystem::path& file,
                    const Environment& env, SecretUse secret = SecretUse::required);

} // namespace dirsync::config
