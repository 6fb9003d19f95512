// Where the router's packets go: the one seam between the media path and the transports. A
// DownTrack sends RTP and RTCP to its subscriber through one, a PublishedTrack sends feedback
// (PLI, NACK, receiver reports, transport-cc) to its publisher through another. WebRtcTransport
// implements it (encrypts and queues on its worker's socket); tests implement it with a recorder,
// so the router runs without sockets, as mediasoup's consumers end in
// `listener->OnConsumerSendRtpPacket(this, packet)` and leave the sending to their transport.
//
// Thread: the worker thread of the room. Ownership: a sink is owned elsewhere (the worker owns its
// transports) and outlives every track that refers to it: a participant's tracks are freed before
// its transports. An implementation must not allocate, lock or log per call.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace sfu {

// What an RTP packet is to a pacer (pacer.h): audio and padding are never held back,
// retransmissions go before new video.
enum class MediaClass : uint8_t { kAudio, kVideo, kRetransmission, kPadding };

class MediaSink {
 public:
  virtual ~MediaSink() = default;

  // True once packets can be encrypted for the peer (DTLS-SRTP keys exist). Media rewritten for a
  // sink that is not ready would be lost, and a video down-track would start on a keyframe the
  // subscriber never receives.
  virtual bool ready() const = 0;

  // A slot to build one plain RTP packet in (valid until commit_rtp() or the next
  // acquire_send()); commit_rtp() encrypts `size` bytes of it in place and queues them. False when
  // the packet could not be sent (the implementation counts why).
  virtual MutableByteSpan acquire_send() = 0;
  virtual bool commit_rtp(MutableByteSpan slot, size_t size) = 0;
  // commit_rtp() for media a pacer may hold back (WebRtcTransport with bandwidth.pacing): it may
  // then copy the packet and send it later. True when sent or held.
  virtual bool commit_media(MutableByteSpan slot, size_t size, MediaClass /*kind*/) {
    return commit_rtp(slot, size);
  }

  // Copies, encrypts and queues one plain RTCP (compound) packet.
  virtual bool send_rtcp(ByteSpan packet) = 0;

 protected:
  MediaSink() = default;
  MediaSink(const MediaSink&) = default;
  MediaSink& operator=(const MediaSink&) = default;
};

}  // namespace sfu
