// Helpers of the service end-to-end tests: where vidgen and ffprobe are (compiled in by
// CMake), temporary folders, polling, ffprobe, a small blocking HTTP client (libcurl), and a
// `vidgen` process started with a test environment. Used from the test thread only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <sys/types.h>

#include "support/subprocess.h"

namespace vg::service_test {

using Json = nlohmann::json;
namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;

std::string VidgenPath();
std::string FfprobePath();
std::string NodeModules();
std::string ScriptsDir();  // tests/service in the source tree

// A folder made with mkdtemp, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Polls `condition` every 20 ms until it holds or `timeout_ms` passes.
bool WaitFor(const std::function<bool()>& condition, int timeout_ms);

// A template of `seconds` at width × height (draft quality), a moving shape and a text
// placeholder {{name}}: small ones render in a fraction of a second, 1280×720 ones take long
// enough to be caught mid-render.
Json TestTemplate(int width, int height, double seconds, int fps = 30);

// ffprobe -show_format -show_streams as JSON; an empty object on failure.
Json Probe(const fs::path& file);

struct HttpReply {
  long status = 0;  // 0 = no answer
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  Json json() const;                           // the body parsed; null when it is not JSON
};
HttpReply HttpRequest(const std::string& method, const std::string& url,
                      const std::string& body = "", const std::vector<std::string>& headers = {});

// The regular files under `dir`, relative, sorted ("videos/1.mp4").
std::vector<std::string> FilesUnder(const fs::path& dir);

// `vidgen <args>` with `env` added to the environment; killed (SIGKILL) when destroyed.
std::unique_ptr<testing::Subprocess> StartVidgen(const std::vector<std::string>& args,
                                                 const Env& env);

// A `vidgen` service process (`serve`, `api`) on a free port (PORT=0: the port is read from
// its "listening on" line), ready once /health answers (or the process died: ready() false).
class Service {
 public:
  Service(const std::string& command, Env env);
  bool ready() const { return ready_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }
  testing::Subprocess& process() { return *process_; }
  std::string output() const { return process_->output(); }
  // The pid of the private redis-server, from serve's "redis.started pid=N" log line; -1.
  pid_t RedisPid() const;

 private:
  int port_ = 0;
  bool ready_ = false;
  std::unique_ptr<testing::Subprocess> process_;
};

// A Node helper script from tests/service, with node_modules on NODE_PATH.
std::unique_ptr<testing::Subprocess> StartNode(const std::string& script,
                                               std::vector<std::string> args);

}  // namespace vg::service_test
