// The per-SSRC state of one SRTP session (replay windows, the SRTCP index sent), found by SSRC.
// Keys and cipher contexts are the session's, shared by every SSRC (with a key derivation rate of
// 0 nothing in them depends on the SSRC), so a new SSRC costs only this small record.
//
// Lookup is per packet: the last SSRC found is remembered (media arrives in runs of one SSRC),
// otherwise a binary search over the sorted SSRCs. insert() may allocate (the first packet of an
// SSRC); nothing else does once reserve() covered the streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtp/srtp_replay_window.h"

namespace sfu::rtp {

struct SrtpStreamState {
  SrtpReplayWindow rtp;     // both directions (outbound it bounds retransmissions)
  SrtcpReplayWindow rtcp;   // inbound
  uint32_t rtcp_index = 0;  // outbound: the last SRTCP index sent (the first packet gets 1)
};

class SrtpStreamTable {
 public:
  SrtpStreamTable() = default;
  // Not copyable: the lookup cache points into states_ (a move keeps the vector's storage).
  SrtpStreamTable(const SrtpStreamTable&) = delete;
  SrtpStreamTable& operator=(const SrtpStreamTable&) = delete;
  SrtpStreamTable(SrtpStreamTable&&) noexcept = default;
  SrtpStreamTable& operator=(SrtpStreamTable&&) noexcept = default;

  SrtpStreamState* find(uint32_t ssrc);
  // The state of a new SSRC (not in the table), starting as `initial`.
  SrtpStreamState& insert(uint32_t ssrc, const SrtpStreamState& initial);
  void erase(uint32_t ssrc);
  void reserve(size_t streams);
  size_t size() const { return states_.size(); }

 private:
  struct Entry {
    uint32_t ssrc;
    uint32_t slot;  // in states_
  };
  std::vector<Entry>::iterator lower_bound(uint32_t ssrc);

  std::vector<Entry> index_;  // sorted by ssrc
  std::vector<SrtpStreamState> states_;
  std::vector<uint32_t> ssrc_of_slot_;  // parallel to states_
  uint32_t cached_ssrc_ = 0;
  SrtpStreamState* cached_ = nullptr;
};

}  // namespace sfu::rtp
