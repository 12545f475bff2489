#pragma once

#include <uv.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bh::proxy {

/// The control socket bhctl talks to: a Unix stream socket, mode 0660 (root and the daemon's
/// group only). One request per connection: a JSON line {"args": ["show", ...], "json": bool};
/// one JSON answer {"ok": bool, "text": "...", "json": {...}, "error": "..."}, then close.
class ControlServer {
 public:
  /// Answers a request by calling `reply` once, now or later on the loop thread (the client's
  /// connection stays open until then).
  using Reply = std::function<void(nlohmann::json answer)>;
  using Handler = std::function<void(const std::vector<std::string>& args, Reply reply)>;
  static constexpr size_t kMaxRequestBytes = 16 * 1024;

  ControlServer(uv_loop_t* loop, Handler handler) : loop_(loop), handler_(std::move(handler)) {}
  /// Binds `path` (an existing socket file is replaced). Returns 0 or a libuv error.
  int start(const std::string& path);
  void stop();

 private:
  struct Client;
  static void onConnection(uv_stream_t* server, int status);
  static void send(Client* client, const nlohmann::json& answer);

  uv_loop_t* loop_;
  Handler handler_;
  uv_pipe_t* pipe_ = nullptr;
  std::string path_;
};

}  // namespace bh::proxy
