// Writes AV1 Dependency Descriptors (AV1 RTP specification, appendix A) field by field, as the
// spec's syntax tables order them, so tests can build the structures encoders send (L1T3, L3T3,
// S3T3) and the per-packet descriptors that name their templates. Test-only; header-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sfu::test {

class DdBitWriter {
 public:
  void bits(uint32_t value, int count) {
    for (int i = count - 1; i >= 0; --i) {
      if (position_ % 8 == 0) bytes_.push_back(0);
      if ((value >> i) & 1u) bytes_.back() = static_cast<uint8_t>(bytes_.back() | (0x80 >> (position_ % 8)));
      ++position_;
    }
  }
  // ns(n) (appendix A.7).
  void non_symmetric(uint32_t value, uint32_t n) {
    int width = 0;
    for (uint32_t x = n; x != 0; x >>= 1) ++width;
    const uint32_t m = (1u << width) - n;
    if (value < m) {
      bits(value, width - 1);
    } else {
      bits((value + m) >> 1, width - 1);
      bits((value + m) & 1u, 1);
    }
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
  size_t position_ = 0;
};

struct DdTemplate {
  int spatial = 0, temporal = 0;
  std::string dtis;  // one of - D S R per decode target
  std::vector<int> fdiffs;
  std::vector<int> chain_fdiffs;  // one per chain
};

struct DdStructure {
  int template_id_offset = 0;
  int decode_targets = 1;
  std::vector<DdTemplate> templates;
  int chains = 0;
  std::vector<int> protected_by;                 // per decode target
  std::vector<std::pair<int, int>> resolutions;  // per spatial layer; empty: none
};

inline int dti_value(char c) { return c == '-' ? 0 : c == 'D' ? 1 : c == 'S' ? 2 : 3; }

inline void write_structure(DdBitWriter& w, const DdStructure& s) {
  w.bits(static_cast<uint32_t>(s.template_id_offset), 6);
  w.bits(static_cast<uint32_t>(s.decode_targets - 1), 5);
  for (size_t i = 1; i <= s.templates.size(); ++i) {
    if (i == s.templates.size()) {
      w.bits(3, 2);
    } else {
      const DdTemplate& a = s.templates[i - 1];
      const DdTemplate& b = s.templates[i];
      w.bits(b.spatial == a.spatial && b.temporal == a.temporal ? 0 : b.spatial == a.spatial ? 1 : 2, 2);
    }
  }
  for (const auto& t : s.templates)
    for (char c : t.dtis) w.bits(static_cast<uint32_t>(dti_value(c)), 2);
  for (const auto& t : s.templates) {
    for (int fdiff : t.fdiffs) {
      w.bits(1, 1);
      w.bits(static_cast<uint32_t>(fdiff - 1), 4);
    }
    w.bits(0, 1);
  }
  w.non_symmetric(static_cast<uint32_t>(s.chains), static_cast<uint32_t>(s.decode_targets + 1));
  if (s.chains > 0) {
    for (int chain : s.protected_by)
      w.non_symmetric(static_cast<uint32_t>(chain), static_cast<uint32_t>(s.chains));
    for (const auto& t : s.templates)
      for (int fdiff : t.chain_fdiffs) w.bits(static_cast<uint32_t>(fdiff), 4);
  }
  w.bits(s.resolutions.empty() ? 0 : 1, 1);
  for (auto [width, height] : s.resolutions) {
    w.bits(static_cast<uint32_t>(width - 1), 16);
    w.bits(static_cast<uint32_t>(height - 1), 16);
  }
}

struct DdPacket {
  bool start = true, end = true;
  int template_id = 0;
  int frame_number = 0;
  const DdStructure* structure = nullptr;  // carried by this packet
  std::optional<uint32_t> active_decode_targets;
  int decode_targets = 0;  // for the active mask and custom DTIs
  std::optional<std::string> custom_dtis;
  std::optional<std::vector<int>> custom_fdiffs;
};

inline std::vector<uint8_t> write_dd(const DdPacket& p) {
  DdBitWriter w;
  w.bits(p.start ? 1 : 0, 1);
  w.bits(p.end ? 1 : 0, 1);
  w.bits(static_cast<uint32_t>(p.template_id), 6);
  w.bits(static_cast<uint32_t>(p.frame_number), 16);
  const bool extended = p.structure || p.active_decode_targets || p.custom_dtis || p.custom_fdiffs;
  if (extended) {
    w.bits(p.structure ? 1 : 0, 1);
    w.bits(p.active_decode_targets ? 1 : 0, 1);
    w.bits(p.custom_dtis ? 1 : 0, 1);
    w.bits(p.custom_fdiffs ? 1 : 0, 1);
    w.bits(0, 1);  // custom chains
    if (p.structure) write_structure(w, *p.structure);
    const int dts = p.structure ? p.structure->decode_targets : p.decode_targets;
    if (p.active_decode_targets) w.bits(*p.active_decode_targets, dts);
    if (p.custom_dtis)
      for (char c : *p.custom_dtis) w.bits(static_cast<uint32_t>(dti_value(c)), 2);
    if (p.custom_fdiffs) {
      for (int fdiff : *p.custom_fdiffs) {
        const int size = fdiff - 1 < 16 ? 1 : fdiff - 1 < 256 ? 2 : 3;
        w.bits(static_cast<uint32_t>(size), 2);
        w.bits(static_cast<uint32_t>(fdiff - 1), 4 * size);
      }
      w.bits(0, 2);
    }
  }
  std::vector<uint8_t> out = w.bytes();
  // A descriptor of more than 3 bytes has the extended fields: pad an extended one that came out
  // at 3 bytes (the padding is zeros, as the spec's zero_padding).
  if (extended && out.size() <= 3) out.resize(4, 0);
  return out;
}

// L1T3 as libwebrtc's ScalabilityStructureL1T3 describes it: three decode targets (7.5, 15 and
// 30 fps), one chain; template 0 is the key frame.
inline DdStructure l1t3() {
  DdStructure s;
  s.decode_targets = 3;
  s.templates = {{0, 0, "SSS", {}, {0}},
                 {0, 0, "SSS", {4}, {4}},
                 {0, 1, "-DS", {2}, {2}},
                 {0, 2, "--D", {1}, {1}},
                 {0, 2, "--D", {1}, {3}}};
  s.chains = 1;
  s.protected_by = {0, 0, 0};
  return s;
}

// Decode target (s, t) is index s * 3 + t, for three spatial and three temporal layers.
// `simulcast`: S3T3, each spatial layer on its own; else L3T3, each predicting from the one below.
inline DdStructure three_by_three(bool simulcast) {
  DdStructure s;
  s.decode_targets = 9;
  s.chains = 3;
  for (int dt = 0; dt < 9; ++dt) s.protected_by.push_back(dt / 3);
  auto dtis = [&](int spatial, int temporal) {
    std::string out;
    for (int dt = 0; dt < 9; ++dt) {
      const int ds = dt / 3, dtt = dt % 3;
      const bool in = (simulcast ? spatial == ds : spatial <= ds) && temporal <= dtt;
      out += !in ? '-' : temporal == 0 ? 'S' : temporal == dtt ? 'D' : 'R';
    }
    return out;
  };
  for (int spatial = 0; spatial < 3; ++spatial) {
    // Key frame template first (no references but the layer below), then T0, T1, T2.
    s.templates.push_back({spatial,
                           0,
                           dtis(spatial, 0),
                           spatial > 0 && !simulcast ? std::vector<int>{1} : std::vector<int>{},
                           {0, 0, 0}});
    s.templates.push_back({spatial, 0, dtis(spatial, 0), {12}, {3, 3, 3}});
    s.templates.push_back({spatial, 1, dtis(spatial, 1), {6}, {1, 2, 3}});
    s.templates.push_back({spatial, 2, dtis(spatial, 2), {3}, {2, 3, 4}});
  }
  s.resolutions = {{320, 180}, {640, 360}, {1280, 720}};
  return s;
}

}  // namespace sfu::test
