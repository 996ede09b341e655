#include "support/emulator_process.hpp"

#include <cpprest/http_client.h>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#ifndef FEISHU_EMULATOR_PATH
#error "FEISHU_EMULATOR_PATH must name the built feishu-emulator (set in tests/CMakeLists.txt)"
#endif

namespace dirsync::testing {

namespace {

constexpr std::string_view k_ready_prefix = "feishu-emulator listening on ";

std::string read_text(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::filesystem::path make_temp_dir()
{
  std::string templ = (std::filesystem::temp_directory_path() / "feishu-emulator-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory under " + templ);
  }
  return templ;
}

} // namespace

int find_free_loopback_port()
{
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("cannot find a free port: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string EmulatorProcess::Reply::header(const std::string& lower_name) const
{
  const auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

EmulatorProcess::EmulatorProcess(const json::Value& seed, std::vector<std::string> args,
                                 std::chrono::seconds ready_timeout)
  : m_dir(make_temp_dir())
{
  const auto seed_file = m_dir / "seed.json";
  {
    std::ofstream out(seed_file, std::ios::binary);
    out << seed.dump();
    if (!out) {
      throw std::runtime_error("cannot write " + seed_file.string());
    }
  }
  start(seed_file, args, ready_timeout);
}

EmulatorProcess::EmulatorProcess(const std::filesystem::path& seed_file, std::vector<std::string> args,
                                 std::chrono::seconds ready_timeout)
  : m_dir(make_temp_dir())
{
  start(seed_file, args, ready_timeout);
}

EmulatorProcess::~EmulatorProcess()
{
  stop();
  std::error_code ec;
  std::filesystem::remove_all(m_dir, ec);
}

void EmulatorProcess::start(const std::filesystem::path& seed_file, const std::vector<std::string>& args,
                            std::chrono::seconds ready_timeout)
{
  std::string failure;
  // Another process may take the port between our probe and the emulator's bind: try again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (try_start(seed_file, args, find_free_loopback_port(), ready_timeout, failure)) {
      return;
    }
    if (failure.find("cannot listen") == std::string::npos) {
      break;
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(m_dir, ec);
  throw std::runtime_error("feishu-emulator did not start: " + failure);
}

bool EmulatorProcess::try_start(const std::filesystem::path& seed_file, const std::vector<std::string>& args,
                                int port, std::chrono::seconds ready_timeout, std::string& failure)
{
  std::vector<std::string> argv{FEISHU_EMULATOR_PATH, "--listen", fmt::format("127.0.0.1:{}", port), "--seed",
                                seed_file.string()};
  bool has_log_level = false;
  for (const auto& a : args) {
    has_log_level = has_log_level || a == "--log-level";
    argv.push_back(a);
  }
  if (!has_log_level) {
    argv.insert(argv.end(), {"--log-level", "warn"});
  }
  const auto stderr_path = m_dir / "stderr.txt";

  // Everything the child needs is prepared before fork(): the test process has other threads, so
  // the child may only make async-signal-safe calls (no allocation) until it execs.
  std::vector<char*> cargs;
  for (auto& a : argv) {
    cargs.push_back(a.data());
  }
  cargs.push_back(nullptr);
  const int err_fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err_fd < 0) {
    throw std::runtime_error("cannot create " + stderr_path.string() + ": " + std::strerror(errno));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ::close(err_fd);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  sigset_t none;
  sigemptyset(&none);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // Child: die with the test process; stdout to the pipe, stderr to a file.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) {
      ::_exit(127);
    }
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  ::close(err_fd);
  ::close(pipe_fds[1]);
  m_pid = pid;
  m_stdout = pipe_fds[0];

  // Wait for the ready line.
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout;
  for (;;) {
    const auto newline = out.find('\n');
    if (newline != std::string::npos) {
      const std::string line = out.substr(0, newline);
      if (line.starts_with(k_ready_prefix)) {
        m_base_url = line.substr(k_ready_prefix.size());
        m_port = port;
        return true;
      }
      out.erase(0, newline + 1);
      continue;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = fmt::format("no ready line within {} s; stderr: {}", ready_timeout.count(), read_text(stderr_path));
      break;
    }
    pollfd p{m_stdout, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) {
      continue;
    }
    if (r > 0) {
      char buffer[512];
      const auto n = ::read(m_stdout, buffer, sizeof buffer);
      if (n > 0) {
        out.append(buffer, static_cast<std::size_t>(n));
        continue;
      }
      // EOF: the emulator exited.
      int status = 0;
      ::waitpid(m_pid, &status, 0);
      m_pid = -1;
      failure = fmt::format("it exited (status {}); stderr: {}", status, read_text(stderr_path));
      ::close(m_stdout);
      m_stdout = -1;
      return false;
    }
  }
  stop();
  return false;
}

int EmulatorProcess::stop()
{
  int result = -1;
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    bool reaped = false;
    while (std::chrono::steady_clock::now() < deadline) {
      const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
      if (r == m_pid || (r < 0 && errno == ECHILD)) {
        reaped = r == m_pid;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (reaped) {
      result = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    } else {
      ::kill(m_pid, SIGKILL);
      ::waitpid(m_pid, &status, 0);
    }
    m_pid = -1;
  }
  if (m_stdout >= 0) {
    ::close(m_stdout);
    m_stdout = -1;
  }
  return result;
}

EmulatorProcess::Reply EmulatorProcess::request(const std::string& method, const std::string& path_and_query,
                                                const std::string& body,
                                                const std::map<std::string, std::string>& headers,
                                                std::chrono::seconds timeout) const
{
  try {
    web::http::client::http_client_config config;
    config.set_timeout(timeout);
    web::http::client::http_client client(web::uri(m_base_url), config);
    web::http::http_request req(method);
    req.set_request_uri(web::uri(path_and_query));
    for (const auto& [name, value] : headers) {
      req.headers().add(name, value);
    }
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.set_body(body, "application/json; charset=utf-8");
    }
    auto response = client.request(req).get();
    Reply reply;
    reply.status = response.status_code();
    for (const auto& [name, value] : response.headers()) {
      std::string lower = name;
      for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      reply.headers[lower] = value;
    }
    const auto bytes = response.extract_vector().get();
    reply.body.assign(bytes.begin(), bytes.end());
    return reply;
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{} {}{}: no answer: {}", method, m_base_url, path_and_query, e.what()));
  }
}

json::Value EmulatorProcess::control(const std::string& method, const std::string& path, const json::Value& body) const
{
  const auto reply = request(method, path, body.is_null() ? "" : body.dump());
  if (reply.status != 200) {
    throw std::runtime_error(fmt::format("{} {}: HTTP {}: {}", method, path, reply.status, reply.body));
  }
  return reply.json();
}

json::Value EmulatorProcess::state() const
{
  return control("GET", "/_emulator/state", json::Value());
}

json::Value EmulatorProcess::stats() const
{
  return control("GET", "/_emulator/stats", json::Value());
}

void EmulatorProcess::reset() const
{
  control("POST", "/_emulator/reset", json::Value());
}

void EmulatorProcess::seed(const json::Value& seed) const
{
  control("POST", "/_emulator/seed", seed);
}

void EmulatorProcess::advance_clock(std::int64_t seconds) const
{
  control("POST", "/_emulator/clock", json::Value::object({{"advance_seconds", seconds}}));
}

std::string EmulatorProcess::user_token(const std::string& user_id) const
{
  return control("POST", "/_emulator/user_token", json::Value::object({{"user_id", user_id}}))
    .get_string("user_access_token");
}

std::string EmulatorProcess::tenant_token(const std::string& app_id, const std::string& app_secret) const
{
  const auto reply = request("POST", "/open-apis/auth/v3/tenant_access_token/internal",
                             json::Value::object({{"app_id", app_id}, {"app_secret", app_secret}}).dump());
  const auto body = reply.json();
  if (body.get_int("code", -1) != 0) {
    throw std::runtime_error("no tenant token: " + reply.body);
  }
  return body.get_string("tenant_access_token");
}

} // namespace dirsync::testing
