// The bytes a stored protobuf body needs appended to become another one.
//
// Protobuf's wire format merges when parsed: parsing `before + delta` (the
// two serializations concatenated) is parsing `before` and then merging
// `delta` into it — a repeated field's new elements are appended, a
// singular scalar or string takes the later value, a singular message is
// merged field by field. So when a new version of a body differs from the
// stored one only by elements appended to repeated fields and by singular
// fields set to new non-default values (what appending a message to a
// conversation does: new messages, events and a turn, a later update time),
// a store can append a small `delta` instead of rewriting the whole body,
// and a reader parses the stored body followed by its deltas (ADR 0032).
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace parley::store {

// `before` is what is stored: a body and the deltas appended to it so far,
// each one a serialization in field-number order. Sets `*delta` so that
// parsing `before` concatenated and then `*delta` as `type` gives the
// message `after` is a serialization of, and returns true; or returns false
// when no such append exists or is not found by this walk: an element
// removed from or changed inside a repeated field (a packed one included), a
// field cleared, a different oneof member set, a map re-ordered, malformed
// input. `after` must be a serialization in field-number order (what
// SerializeToString writes); so is the delta. `*changed` (when not null) gets the numbers of
// the top-level fields the delta sets or appends to. An empty delta means
// the two are byte-equal. The walk compares bytes (memcmp) and recurses
// only into singular message fields whose bytes differ: O(size), no parse.
bool AppendDelta(const google::protobuf::Descriptor* type,
                 const std::vector<absl::string_view>& before, absl::string_view after,
                 std::string* delta, std::vector<int>* changed = nullptr);

// Sets `*numbers` to the field numbers of the top-level records of the
// serialized message `in`, in order (repeats included), and returns true;
// false on malformed input. O(records): length-delimited payloads are
// skipped, not read.
bool TopLevelFields(absl::string_view in, std::vector<int>* numbers);

}  // namespace parley::store
