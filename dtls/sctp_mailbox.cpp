#include <stdexcept>

#include "dtls/sctp_association_impl.h"
#include "dtls/sctp_mailbox_impl.h"
#include "dtls/sctp_stack.h"

namespace sfu::dtls {
namespace {

// The mailboxes of the process by serial, for callbacks that arrive on a foreign thread. A mailbox
// leaves it (under the lock) before its async handle closes, so whoever finds one under the lock
// may post to it.
struct MailboxRegistry {
  std::mutex mutex;
  std::unordered_map<uint32_t, SctpMailbox::Impl*> mailboxes;
  uint32_t next_serial = 1;
};

MailboxRegistry& registry() {
  // Never destroyed: usrsctp's timers may call in while static destructors run at exit.
  static auto* instance = new MailboxRegistry;
  return *instance;
}

thread_local SctpMailbox::Impl* t_mailbox = nullptr;
thread_local SctpMailbox* t_public_mailbox = nullptr;

uint32_t mailbox_serial_of(SctpAssociationId id) { return static_cast<uint32_t>(id >> 32); }

// Wake-ups may exceed the packet bound by this much: losing one could leave a readable socket
// undrained until the association's next packet.
constexpr size_t kExtraWakeups = 1024;

}  // namespace

SctpMailbox::Impl::Impl(uv_loop_t* loop) : loop_(loop) {
  if (t_mailbox != nullptr) throw std::logic_error("SctpMailbox: this thread has one already");
  async_ = new uv_async_t;
  uv_async_init(loop, async_, &Impl::on_async);
  async_->data = this;
  MailboxRegistry& r = registry();
  {
    std::lock_guard lock(r.mutex);
    serial_ = r.next_serial++;
    r.mailboxes.emplace(serial_, this);
  }
  t_mailbox = this;
}

SctpMailbox::Impl::~Impl() {
  {
    MailboxRegistry& r = registry();
    std::lock_guard lock(r.mutex);
    r.mailboxes.erase(serial_);
  }
  if (t_mailbox == this) t_mailbox = nullptr;
  async_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(async_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

SctpMailbox::Impl* SctpMailbox::Impl::current() { return t_mailbox; }

SctpAssociationId SctpMailbox::Impl::add(SctpAssociation::Impl& association) {
  SctpAssociationId id = (static_cast<uint64_t>(serial_) << 32) | next_association_serial_++;
  if (next_association_serial_ == 0) next_association_serial_ = 1;  // after 2^32 associations
  associations_.emplace(id, &association);
  return id;
}

void SctpMailbox::Impl::remove(SctpAssociationId id) { associations_.erase(id); }

SctpAssociation::Impl* SctpMailbox::Impl::find(SctpAssociationId id) const {
  auto it = associations_.find(id);
  return it == associations_.end() ? nullptr : it->second;
}

void SctpMailbox::Impl::schedule_service(SctpAssociationId id) {
  ready_.push_back(id);
  if (!service_wake_sent_) {
    service_wake_sent_ = true;
    uv_async_send(async_);
  }
}

MutableByteSpan SctpMailbox::Impl::acquire_receive_buffer() {
  if (receive_buffer_busy_) return {};
  if (receive_buffer_.empty()) receive_buffer_.resize(kReceiveBufferBytes);
  receive_buffer_busy_ = true;
  return receive_buffer_;
}

void SctpMailbox::Impl::dispatch_packet(SctpAssociationId id, ByteSpan packet) {
  Impl* mine = t_mailbox;
  if (mine != nullptr && mine->serial_ == mailbox_serial_of(id)) {
    if (SctpAssociation::Impl* association = mine->find(id)) association->on_output(packet);
    return;
  }
  post(id, packet, false);
}

void SctpMailbox::Impl::dispatch_upcall(SctpAssociationId id) {
  Impl* mine = t_mailbox;
  if (mine != nullptr && mine->serial_ == mailbox_serial_of(id)) {
    if (SctpAssociation::Impl* association = mine->find(id)) association->on_upcall();
    return;
  }
  post(id, {}, true);
}

void SctpMailbox::Impl::post(SctpAssociationId id, ByteSpan packet, bool wake) {
  MailboxRegistry& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.mailboxes.find(mailbox_serial_of(id));
  if (it != r.mailboxes.end()) it->second->enqueue(id, packet, wake);
}

void SctpMailbox::Impl::enqueue(SctpAssociationId id, ByteSpan packet, bool wake) {
  {
    std::lock_guard lock(mutex_);
    size_t bound = wake ? kMaxQueuedPackets + kExtraWakeups : kMaxQueuedPackets;
    if (pending_.size() >= bound) {
      if (!wake) ++drops_[id];
      return;
    }
    Entry& entry = pending_.emplace_back();
    entry.id = id;
    entry.wake = wake;
    if (!wake) {
      if (!spare_buffers_.empty()) {
        entry.bytes = std::move(spare_buffers_.back());
        spare_buffers_.pop_back();
      }
      entry.bytes.assign(packet.begin(), packet.end());
    }
  }
  uv_async_send(async_);
}

void SctpMailbox::Impl::on_async(uv_async_t* handle) {
  if (auto* self = static_cast<Impl*>(handle->data)) {
    self->service_wake_sent_ = true;  // run_services() below serves what the queue schedules
    self->drain_queue();
    self->run_services();
  }
}

void SctpMailbox::Impl::drain_queue() {
  std::unordered_map<SctpAssociationId, uint64_t> drops;
  {
    std::lock_guard lock(mutex_);
    running_.swap(pending_);
    if (!drops_.empty()) drops.swap(drops_);
  }
  for (Entry& entry : running_) {
    SctpAssociation::Impl* association = find(entry.id);
    if (association == nullptr) continue;  // freed meanwhile
    if (entry.wake) {
      association->on_upcall();
    } else {
      association->on_output(entry.bytes);
    }
  }
  for (auto [id, count] : drops) {
    if (SctpAssociation::Impl* association = find(id)) association->add_mailbox_drops(count);
  }
  std::lock_guard lock(mutex_);
  for (Entry& entry : running_) {
    if (!entry.wake && spare_buffers_.size() < kMaxQueuedPackets)
      spare_buffers_.push_back(std::move(entry.bytes));
  }
  running_.clear();
}

void SctpMailbox::Impl::run_services() {
  service_wake_sent_ = false;
  servicing_.swap(ready_);
  for (SctpAssociationId id : servicing_) {
    if (SctpAssociation::Impl* association = find(id)) association->service();
  }
  servicing_.clear();
}

SctpMailbox::SctpMailbox(uv_loop_t* loop) : impl_(std::make_unique<Impl>(loop)) {
  SctpStack::ensure_initialized();
  t_public_mailbox = this;
}

SctpMailbox::~SctpMailbox() {
  if (t_public_mailbox == this) t_public_mailbox = nullptr;
}

SctpMailbox* SctpMailbox::current() { return t_public_mailbox; }

uv_loop_t* SctpMailbox::loop() const { return impl_->loop(); }

}  // namespace sfu::dtls
