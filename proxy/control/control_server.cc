#include "proxy/control/control_server.h"

#include <sys/stat.h>
#include <unistd.h>

namespace bh::proxy {

struct ControlServer::Client {
  uv_pipe_t pipe{};
  ControlServer* server = nullptr;
  std::string request;
  std::string response;
  uv_write_t write{};
  bool answered = false;
};

int ControlServer::start(const std::string& path) {
  path_ = path;
  unlink(path.c_str());
  pipe_ = new uv_pipe_t;
  uv_pipe_init(loop_, pipe_, 0);
  pipe_->data = this;
  // Created with 0660 from the start (umask), so there is no window where others may connect.
  mode_t old = umask(0117);
  int r = uv_pipe_bind(pipe_, path.c_str());
  umask(old);
  if (r == 0) {
    chmod(path.c_str(), 0660);
    r = uv_listen(reinterpret_cast<uv_stream_t*>(pipe_), 16, &ControlServer::onConnection);
  }
  if (r != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(pipe_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
    pipe_ = nullptr;
  }
  return r;
}

void ControlServer::stop() {
  if (pipe_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(pipe_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
    pipe_ = nullptr;
    unlink(path_.c_str());
  }
}

void ControlServer::onConnection(uv_stream_t* server, int status) {
  if (status != 0) {
    return;
  }
  auto* self = static_cast<ControlServer*>(server->data);
  auto* c = new Client;
  c->server = self;
  uv_pipe_init(self->loop_, &c->pipe, 0);
  c->pipe.data = c;
  auto closeClient = [](Client* cl) {
    uv_close(reinterpret_cast<uv_handle_t*>(&cl->pipe),
             [](uv_handle_t* h) { delete static_cast<Client*>(h->data); });
  };
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->pipe)) != 0) {
    closeClient(c);
    return;
  }
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->pipe),
      [](uv_handle_t*, size_t, uv_buf_t* b) {
        static char buf[4096];
        *b = uv_buf_init(buf, sizeof(buf));
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
        auto* cl = static_cast<Client*>(s->data);
        auto close = [](Client* x) {
          uv_close(reinterpret_cast<uv_handle_t*>(&x->pipe),
                   [](uv_handle_t* h) { delete static_cast<Client*>(h->data); });
        };
        if (cl->answered) {
          return;
        }
        if (n < 0) {
          close(cl);
          return;
        }
        cl->request.append(b->base, static_cast<size_t>(n));
        size_t nl = cl->request.find('\n');
        if (nl == std::string::npos) {
          if (cl->request.size() > kMaxRequestBytes) {
            close(cl);
          }
          return;
        }
        cl->answered = true;
        uv_read_stop(s);
        std::vector<std::string> args;
        try {
          auto req = nlohmann::json::parse(cl->request.substr(0, nl));
          args = req.at("args").get<std::vector<std::string>>();
        } catch (const std::exception& e) {
          send(cl, {{"ok", false}, {"error", std::string("bad request: ") + e.what()}});
          return;
        }
        cl->server->handler_(args, [cl](nlohmann::json answer) { send(cl, answer); });
      });
}

void ControlServer::send(Client* cl, const nlohmann::json& answer) {
  cl->response = answer.dump() + "\n";
  uv_buf_t out = uv_buf_init(cl->response.data(), static_cast<unsigned>(cl->response.size()));
  cl->write.data = cl;
  if (uv_write(&cl->write, reinterpret_cast<uv_stream_t*>(&cl->pipe), &out, 1,
               [](uv_write_t* w, int) {
                 auto* x = static_cast<Client*>(w->data);
                 uv_close(reinterpret_cast<uv_handle_t*>(&x->pipe),
                          [](uv_handle_t* h) { delete static_cast<Client*>(h->data); });
               }) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&cl->pipe),
             [](uv_handle_t* h) { delete static_cast<Client*>(h->data); });
  }
}

}  // namespace bh::proxy
