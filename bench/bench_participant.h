// One simulated participant of the load, whatever carries its media (the SFU over WebRTC, or the
// plain UDP reflector of the baseline): it may publish synthetic media and it receives the other
// publishers of its room. Lives on one client thread's loop and is used only from that thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bench/data_accounting.h"
#include "bench/data_source.h"
#include "bench/media_source.h"
#include "bench/receive_accounting.h"

namespace sfu::bench {

struct ParticipantSpec {
  uint32_t room = 0;
  uint32_t index_in_room = 0;
  std::optional<uint32_t> publisher_index;  // set for publishers
  std::string name;
};

class BenchParticipant {
 public:
  BenchParticipant(ParticipantSpec spec, ReceiveAccounting accounting, ReceiverStats& stats,
                   const MeasurementWindow& window)
      : spec_(std::move(spec)), accounting_(std::move(accounting)), stats_(stats), window_(window) {}
  virtual ~BenchParticipant() = default;
  BenchParticipant(const BenchParticipant&) = delete;
  BenchParticipant& operator=(const BenchParticipant&) = delete;

  virtual bool start(std::string* error) = 0;
  // Connected, publishing (if a publisher) and receiving every stream it expects.
  virtual bool ready() const = 0;
  // Sends the media due at now_ns.
  virtual void pump(uint64_t now_ns) = 0;
  // Stops media and starts leaving; closed() once gone.
  virtual void close() = 0;
  virtual bool closed() const = 0;
  // A failure that will never clear (the reason), or empty.
  virtual std::string failure() const = 0;
  virtual std::string describe() const = 0;

  const ParticipantSpec& spec() const { return spec_; }
  const SyntheticMediaSource* source() const { return source_ ? &*source_ : nullptr; }
  const ReceiveAccounting& accounting() const { return accounting_; }
  ReceiveAccounting take_accounting() { return std::move(accounting_); }
  // The data channel load (--data-rate): what it sends (publishers) and receives; empty without.
  const DataSource* data_source() const { return data_source_ ? &*data_source_ : nullptr; }
  std::optional<DataReceiveAccounting> take_data_accounting() { return std::move(data_accounting_); }

 protected:
  ParticipantSpec spec_;
  ReceiveAccounting accounting_;
  ReceiverStats& stats_;
  const MeasurementWindow& window_;
  std::optional<SyntheticMediaSource> source_;
  std::optional<DataSource> data_source_;
  std::optional<DataReceiveAccounting> data_accounting_;
};

}  // namespace sfu::bench
