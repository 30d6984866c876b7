// A gRPC server on a unix socket that can be started again when its socket is removed (the
// kubelet's directories recreated at a kubelet restart), with new service objects each time.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace grpc {
class Server;
class Service;
}  // namespace grpc

namespace nvdp::dra {

// Deletes a service where grpc::Service is complete, so this header needs no gRPC header.
struct ServiceDeleter {
  void operator()(grpc::Service* service) const;
};
using ServicePtr = std::unique_ptr<grpc::Service, ServiceDeleter>;

class SocketServer {
 public:
  using Services = std::vector<ServicePtr>;
  SocketServer(std::string path, std::function<Services()> make_services);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  // Creates the socket's directory, replaces a stale socket and serves. Throws std::runtime_error
  // naming the path and the problem.
  void Start();
  // Stops serving and removes the socket if it is still ours.
  void Stop();
  // Serving, but the socket file is gone or another file now.
  bool SocketReplaced() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::function<Services()> make_services_;
  Services services_;
  std::unique_ptr<grpc::Server> server_;
  ino_t inode_ = 0;
};

}  // namespace nvdp::dra
