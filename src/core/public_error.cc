#include "core/public_error.h"

#include <cstdio>
#include <random>


namespace parley::core {
namespace {

// 16 random hex digits: ties a generic error the client sees to the log line
// that has the details. Not a secret, so a fast generator will do.
std::string NewReference() {
  thread_local std::mt19937_64 rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = rng();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) id[static_cast<size_t>(i)] = kHex[v & 0xf];
  return id;
}

}  // namespace

const char* GenericErrorMessage(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInternal: return "Internal error encountered.";
    case absl::StatusCode::kUnknown: return "Unknown error.";
    case absl::StatusCode::kDataLoss: return "Data loss error encountered.";
    case absl::StatusCode::kUnavailable: return "The service is currently unavailable.";
    default: return nullptr;
  }
}

std::string PublicErrorMessage(const absl::Status& s, std::string_view context) {
  std::string_view message(s.message().data(), s.message().size());
  const char* generic = GenericErrorMessage(s.code());
  if (generic == nullptr) {
    if (context.empty()) return std::string(message);
    return std::string(context) + ": " + std::string(message);
  }
  std::string ref = NewReference();
  std::fprintf(stderr, "parley: error %s: %s: %.*s%s%.*s\n", ref.c_str(),
               absl::StatusCodeToString(s.code()).c_str(), static_cast<int>(context.size()),
               context.data(), context.empty() ? "" : ": ", static_cast<int>(message.size()),
               message.data());
  std::string out = context.empty() ? std::string() : std::string(context) + ": ";
  return out + generic + " Reference: " + ref;
}

void SetOperationError(const absl::Status& s, std::string_view context, OperationError* e) {
  e->set_code(static_cast<int>(s.code()));
  e->set_message(PublicErrorMessage(s, context));
}

}  // namespace parley::core
