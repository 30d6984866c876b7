#include "dra/socket_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "common/log.h"

namespace nvdp::dra {
namespace {

constexpr std::size_t kMaxSunPath = 107;  // sockaddr_un.sun_path less the terminating NUL

ino_t InodeOf(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

}  // namespace

void ServiceDeleter::operator()(grpc::Service* service) const { delete service; }

SocketServer::SocketServer(std::string path, std::function<Services()> make_services)
    : path_(std::move(path)), make_services_(std::move(make_services)) {}

SocketServer::~SocketServer() { Stop(); }

void SocketServer::Start() {
  Stop();
  if (path_.size() > kMaxSunPath) {
    throw std::runtime_error("cannot listen on " + path_ + ": the path is longer than " +
                             std::to_string(kMaxSunPath) + " bytes, the limit of a unix socket");
  }
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), error);
  if (error) {
    throw std::runtime_error("cannot listen on " + path_ +
                             ": cannot create its directory: " + error.message());
  }
  if (unlink(path_.c_str()) != 0 && errno != ENOENT) {
    throw std::runtime_error("cannot remove the stale socket " + path_ + ": " +
                             std::strerror(errno));
  }
  services_ = make_services_();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + path_, grpc::InsecureServerCredentials());
  for (const auto& service : services_) builder.RegisterService(service.get());
  builder.SetMaxReceiveMessageSize(4 << 20);
  server_ = builder.BuildAndStart();
  if (!server_) {
    services_.clear();
    throw std::runtime_error("cannot listen on " + path_);
  }
  inode_ = InodeOf(path_);
}

void SocketServer::Stop() {
  if (!server_) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server_->Wait();
  server_.reset();
  services_.clear();
  if (inode_ != 0 && InodeOf(path_) == inode_) unlink(path_.c_str());
  inode_ = 0;
}

bool SocketServer::SocketReplaced() const { return server_ && InodeOf(path_) != inode_; }

}  // namespace nvdp::dra
