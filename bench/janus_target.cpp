#include "bench/janus_target.h"

namespace sfu::bench {

std::optional<RunResult> run_janus_target(const BenchOptions&, const std::vector<int>&, std::string* error) {
  *error =
      "--target janus is not implemented yet: it needs a Janus HTTP-API client (videoroom join/publish/"
      "subscribe), a network namespace whose veth carries 127.0.0.2, and a client transport that answers "
      "full-ICE checks and takes the DTLS server role";
  return std::nullopt;
}

}  // namespace sfu::bench
