#include "request_cache.h"
#include "static_tls.h"

namespace handoff {
namespace {

struct SpareRequest {
  Request* request = nullptr;
  ~SpareRequest() { delete request; }
};

HANDOFF_STATIC_TLS thread_local SpareRequest t_spare;

}  // namespace

Request* TakeRequest() {
  Request* request = t_spare.request;
  t_spare.request = nullptr;
  return request != nullptr ? request : new Request;
}

void KeepRequest(Request* request) {
  delete t_spare.request;
  t_spare.request = request;
}

}  // namespace handoff
