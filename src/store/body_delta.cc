// See body_delta.h.
#include "store/body_delta.h"

#include <cstdint>
#include <algorithm>
#include <cstring>

namespace parley::store {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// One field record of a serialized message: its number and its bytes
// (tag included), and for a length-delimited one where its payload starts.
struct Record {
  int number = 0;
  int wire_type = 0;
  absl::string_view bytes;
  absl::string_view payload;  // length-delimited only
};

bool ReadVarint(absl::string_view in, size_t* pos, uint64_t* value) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= in.size()) return false;
    const uint8_t b = static_cast<uint8_t>(in[(*pos)++]);
    v |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80u) == 0) {
      *value = v;
      return true;
    }
  }
  return false;
}

// Reads the record at `*pos` (false at the end or on malformed input; `*ok`
// tells which).
bool Next(absl::string_view in, size_t* pos, Record* r, bool* ok) {
  *ok = true;
  if (*pos >= in.size()) return false;
  const size_t start = *pos;
  uint64_t tag = 0, v = 0;
  *ok = false;
  if (!ReadVarint(in, pos, &tag) || (tag >> 3) == 0 || (tag >> 3) > INT32_MAX) return false;
  r->number = static_cast<int>(tag >> 3);
  r->wire_type = static_cast<int>(tag & 7);
  switch (r->wire_type) {
    case 0:  // varint
      if (!ReadVarint(in, pos, &v)) return false;
      break;
    case 1:  // fixed64
      if (in.size() - *pos < 8) return false;
      *pos += 8;
      break;
    case 2: {  // length-delimited
      if (!ReadVarint(in, pos, &v) || v > in.size() - *pos) return false;
      r->payload = in.substr(*pos, v);
      *pos += v;
      break;
    }
    case 5:  // fixed32
      if (in.size() - *pos < 4) return false;
      *pos += 4;
      break;
    default:  // groups: not in proto3
      return false;
  }
  r->bytes = in.substr(start, *pos - start);
  *ok = true;
  return true;
}

void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// A cursor over one serialized part.
struct Cursor {
  absl::string_view in;
  size_t pos = 0;
  Record r;
  bool has = false, ok = true;
  void Advance() { has = Next(in, &pos, &r, &ok); }
};

void AppendRecord(int number, absl::string_view payload, std::string* out) {
  AppendVarint((uint64_t{static_cast<uint32_t>(number)} << 3) | 2, out);
  AppendVarint(payload.size(), out);
  out->append(payload.data(), payload.size());
}

// `before` is a message serialized in parts (a body and the deltas appended
// to it), each part in field-number order; parsing them concatenated merges
// them in order. Per field, in field-number order: the records of the field
// in every part, in part order, against its records in `after`.
bool Delta(const Descriptor* type, const std::vector<absl::string_view>& before,
           absl::string_view after, std::string* delta, std::vector<int>* changed) {
  std::vector<Cursor> parts(before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    parts[i].in = before[i];
    parts[i].Advance();
  }
  Cursor a;
  a.in = after;
  a.Advance();
  std::vector<Record> olds, news;
  for (;;) {
    int n = a.has ? a.r.number : INT32_MAX;
    bool any = a.has;
    for (const Cursor& c : parts) {
      if (!c.ok) return false;
      if (c.has) {
        n = std::min(n, c.r.number);
        any = true;
      }
    }
    if (!a.ok) return false;
    if (!any) return true;
    olds.clear();
    news.clear();
    for (Cursor& c : parts) {
      while (c.has && c.r.number == n) {
        olds.push_back(c.r);
        c.Advance();
      }
    }
    while (a.has && a.r.number == n) {
      news.push_back(a.r);
      a.Advance();
    }
    const FieldDescriptor* f = type->FindFieldByNumber(n);
    const size_t before_size = delta->size();
    if (f == nullptr || (f->is_repeated() && f->is_packed())) {
      // Unknown, or packed (one record, not appendable): must be unchanged.
      if (olds.size() != news.size()) return false;
      for (size_t i = 0; i < olds.size(); ++i) {
        if (olds[i].bytes != news[i].bytes) return false;
      }
    } else if (f->is_repeated()) {
      // Every stored element, unchanged, then the appended ones.
      if (news.size() < olds.size()) return false;
      for (size_t i = 0; i < olds.size(); ++i) {
        if (olds[i].bytes != news[i].bytes) return false;
      }
      for (size_t i = olds.size(); i < news.size(); ++i) {
        delta->append(news[i].bytes.data(), news[i].bytes.size());
      }
    } else {
      if (news.size() > 1) return false;  // not a canonical serialization
      if (news.empty()) {
        if (!olds.empty()) return false;  // cleared: no append clears
      } else if (olds.empty()) {
        delta->append(news[0].bytes.data(), news[0].bytes.size());  // newly set
      } else if (f->type() == FieldDescriptor::TYPE_MESSAGE) {
        // Merged, not replaced, when parsed: append the sub-message's delta.
        if (olds.size() == 1 && olds[0].bytes == news[0].bytes) continue;
        if (news[0].wire_type != 2) return false;
        std::vector<absl::string_view> payloads;
        for (const Record& r : olds) {
          if (r.wire_type != 2) return false;
          payloads.push_back(r.payload);
        }
        std::string sub;
        if (!Delta(f->message_type(), payloads, news[0].payload, &sub, nullptr)) return false;
        if (!sub.empty()) AppendRecord(n, sub, delta);
      } else if (olds.back().bytes != news[0].bytes) {
        delta->append(news[0].bytes.data(), news[0].bytes.size());  // the last value wins
      }
    }
    if (changed != nullptr && delta->size() != before_size) changed->push_back(n);
  }
}

}  // namespace

bool TopLevelFields(absl::string_view in, std::vector<int>* numbers) {
  numbers->clear();
  size_t pos = 0;
  Record r;
  bool ok = true;
  while (Next(in, &pos, &r, &ok)) numbers->push_back(r.number);
  return ok;
}

bool AppendDelta(const Descriptor* type, const std::vector<absl::string_view>& before,
                 absl::string_view after, std::string* delta, std::vector<int>* changed) {
  delta->clear();
  if (changed != nullptr) changed->clear();
  return Delta(type, before, after, delta, changed);
}

}  // namespace parley::store
