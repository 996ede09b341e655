// The error types of feishu-dirsync. Exceptions are the failure channel; each module translates the
// exceptions of its third-party libraries into one of these at its edge, so upper layers never see
// SQLite::Exception, YAML::Exception or web::http::http_exception.
//
// Messages are for people: they name the thing, the place and, where there is one, the fix.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace dirsync {

// The base of every error this project throws on purpose.
class Error : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

// The configuration cannot be used (exit code 78). Carries every problem found, each already
// formatted as "file:line:col: key.path: what is wrong"; what() joins them with newlines.
class ConfigError : public Error
{
public:
  explicit ConfigError(std::vector<std::string> problems);
  explicit ConfigError(const std::string& problem);

  const std::vector<std::string>& problems() const { return m_problems; }

private:
  std::vector<std::string> m_problems;
};

// The local database failed or is unusable (locked, corrupt, newer than this binary, ...).
class StorageError : public Error
{
public:
  using Error::Error;
};

// An HR file, or a row of one, that cannot be used. The message names the file and row.
class InputError : public Error
{
public:
  using Error::Error;
};

// A Feishu API call failed. Built by feishu/ from the HTTP status, the envelope's code and msg, and
// the log id; `retryable` says whether the same request may succeed later (timeouts, 5xx, 429,
// dropped connections), as opposed to a business error that will fail the same way again.
class ApiError : public Error
{
public:
  struct Details
  {
    std::string endpoint;   // e.g. "POST /open-apis/contact/v3/users"
    int http_status = 0;    // 0 when no HTTP answer came back (timeout, connection reset)
    long long code = 0;     // Feishu business code; 0 when none was returned
    std::string msg;        // Feishu's msg, or the transport's description
    std::string log_id;     // X-Tt-Logid, X-Request-Id or error.log_id; empty when unknown
    bool retryable = false;
  };

  explicit ApiError(Details details);

  const Details& details() const { return m_details; }
  int http_status() const { return m_details.http_status; }
  long long code() const { return m_details.code; }
  const std::string& log_id() const { return m_details.log_id; }
  bool retryable() const { return m_details.retryable; }

private:
  Details m_details;
};

} // namespace dirsync
