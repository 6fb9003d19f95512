// Internal to dtls/: how usrsctp's callbacks find the association they are for and reach the thread
// that owns it (see sctp_stack.h for the model).
//
// usrsctp knows an association only by the address we registered for it
// (usrsctp_register_address), and calls us back with that address on whatever thread runs into
// the stack. The address is not a pointer but an SctpAssociationId: the owning mailbox's serial
// in the high 32 bits and the association's serial (per mailbox, never reused) in the low ones.
// So a callback is dispatched like this:
//   - on the owner thread (this thread's mailbox has that serial), the association is looked up in
//     the mailbox's own map, which only this thread touches: no lock, and a freed association is
//     simply not found;
//   - on any other thread, the owning mailbox is looked up in the process registry (a mutex, off
//     the packet path: only timer work of usrsctp comes this way) and the packet or wake-up is
//     copied into its bounded queue; the owner's loop takes it from there, again through the map.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "dtls/sctp_association.h"
#include "dtls/sctp_stack.h"

namespace sfu::dtls {

using SctpAssociationId = uint64_t;

// usrsctp takes an opaque address; ours is an id, never dereferenced.
inline void* sctp_address_of(SctpAssociationId id) {
  return reinterpret_cast<void*>(id);  // NOLINT(performance-no-int-to-ptr): an id, not a pointer
}
inline SctpAssociationId sctp_id_of(void* address) {
  return static_cast<SctpAssociationId>(reinterpret_cast<uintptr_t>(address));
}

class SctpMailbox::Impl {
 public:
  // Receive buffer shared by the associations of one thread: a message larger than this comes out
  // of usrsctp in several parts and is reassembled per association.
  static constexpr size_t kReceiveBufferBytes = size_t{64} * 1024;

  explicit Impl(uv_loop_t* loop);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  uv_loop_t* loop() const { return loop_; }
  uint32_t serial() const { return serial_; }  // the high half of its associations' ids
  // This thread's mailbox, or nullptr.
  static Impl* current();

  // Owner thread only.
  SctpAssociationId add(SctpAssociation::Impl& association);
  void remove(SctpAssociationId id);
  SctpAssociation::Impl* find(SctpAssociationId id) const;
  // Services (drains) the association from the loop soon, not inside the current call.
  void schedule_service(SctpAssociationId id);
  // The shared receive buffer, or an empty span while another drain on this thread holds it.
  MutableByteSpan acquire_receive_buffer();
  void release_receive_buffer() { receive_buffer_busy_ = false; }

  // From usrsctp's callbacks, on any thread.
  static void dispatch_packet(SctpAssociationId id, ByteSpan packet);
  static void dispatch_upcall(SctpAssociationId id);

 private:
  struct Entry {
    SctpAssociationId id = 0;
    bool wake = false;           // a wake-up (the socket became readable or writable), no packet
    std::vector<uint8_t> bytes;  // the packet, in a recycled buffer
  };

  static void post(SctpAssociationId id, ByteSpan packet, bool wake);
  void enqueue(SctpAssociationId id, ByteSpan packet, bool wake);
  static void on_async(uv_async_t* handle);
  void drain_queue();
  void run_services();

  uv_loop_t* loop_;
  uv_async_t* async_ = nullptr;  // freed by its close callback
  uint32_t serial_ = 0;
  uint32_t next_association_serial_ = 1;
  std::unordered_map<SctpAssociationId, SctpAssociation::Impl*> associations_;  // owner thread
  std::vector<SctpAssociationId> ready_;                                        // owner thread
  std::vector<SctpAssociationId> servicing_;                                    // owner thread
  bool service_wake_sent_ = false;                                              // owner thread
  std::vector<uint8_t> receive_buffer_;                                         // owner thread
  bool receive_buffer_busy_ = false;                                            // owner thread
  std::vector<Entry> running_;  // owner thread: swapped with pending_ to work without the lock

  std::mutex mutex_;  // guards what follows: filled by other threads, drained by the owner
  std::vector<Entry> pending_;
  std::vector<std::vector<uint8_t>> spare_buffers_;
  std::unordered_map<SctpAssociationId, uint64_t> drops_;
};

}  // namespace sfu::dtls
