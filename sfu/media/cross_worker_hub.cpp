#include "sfu/media/cross_worker_hub.h"

namespace sfu {

CrossWorkerHub::CrossWorkerHub(uv_loop_t* loop, uint32_t worker_index, std::function<void()> after_drain)
    : index_(worker_index), after_drain_(std::move(after_drain)), loop_(loop) {
  doorbell_ = new uv_async_t;
  uv_async_init(loop_, doorbell_, [](uv_async_t* async) {
    auto* self = static_cast<CrossWorkerHub*>(async->data);
    if (self) self->drain(uv_now(async->loop));
  });
  doorbell_->data = this;
  wake_check_ = new uv_check_t;
  uv_check_init(loop_, wake_check_);
  wake_check_->data = this;
  uv_check_start(wake_check_, [](uv_check_t* check) {
    if (auto* self = static_cast<CrossWorkerHub*>(check->data)) self->wake_peers();
  });
  // Neither keeps the loop alive: the worker's loop runs until it is stopped.
  uv_unref(reinterpret_cast<uv_handle_t*>(doorbell_));
  uv_unref(reinterpret_cast<uv_handle_t*>(wake_check_));
}

CrossWorkerHub::~CrossWorkerHub() { close(); }

void CrossWorkerHub::close() {
  if (doorbell_) {
    doorbell_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(doorbell_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
    doorbell_ = nullptr;
  }
  if (wake_check_) {
    wake_check_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(wake_check_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_check_t*>(handle); });
    wake_check_ = nullptr;
  }
}

void CrossWorkerHub::ring() {
  if (doorbell_) uv_async_send(doorbell_);
}

void CrossWorkerHub::attach(uint32_t peer, std::shared_ptr<CrossWorkerLink> to_peer,
                            std::shared_ptr<CrossWorkerLink> from_peer) {
  if (peer == index_) return;
  if (links_.size() <= peer) links_.resize(peer + 1);
  links_[peer] = PeerLinks{std::move(to_peer), std::move(from_peer)};
  // The peer may have pushed before this side was attached: look now.
  ring();
}

void CrossWorkerHub::drain(uint64_t now_ms) {
  size_t taken = 0;
  for (uint32_t peer = 0; peer < links_.size(); ++peer) {
    PeerLinks& links = links_[peer];
    if (!links.in || !links.out) continue;
    CrossWorkerLink& back = *links.out;
    taken +=
        links.in->drain([&](CrossWorkerPacket& packet) { tables_.dispatch(peer, packet, back, now_ms); });
  }
  if (taken > 0 && after_drain_) after_drain_();
}

void CrossWorkerHub::wake_peers() {
  for (PeerLinks& links : links_)
    if (links.out) links.out->wake_consumer();
}

}  // namespace sfu
