// What a client may read of an error. Statuses with the codes INTERNAL,
// UNKNOWN, DATA_LOSS and UNAVAILABLE carry messages from the server's insides
// (storage errors, sqlite codes, file paths): clients get a generic text and
// a reference, the details go to the log under that reference. Used by every
// dialect's error renderer and by whatever stores an error a client reads
// later (operations' errors and partial errors).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "parley/operation.pb.h"

namespace parley::core {

// The client-facing text for `code` when its messages are internal; nullptr
// for the codes whose messages are written for the client.
const char* GenericErrorMessage(absl::StatusCode code);

// The message a client may read for `s`: `context` (may be empty) followed by
// its message, or, for internal codes, the generic text with a reference
// ("... Reference: 0123456789abcdef") after logging the details to stderr
// under it.
std::string PublicErrorMessage(const absl::Status& s, std::string_view context = {});

// Sets `e` to `s` as a client may read it (PublicErrorMessage).
void SetOperationError(const absl::Status& s, std::string_view context, OperationError* e);

}  // namespace parley::core
