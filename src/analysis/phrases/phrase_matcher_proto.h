// The stored phrase matcher (core::PhraseMatcher, operation.proto) as the
// engine's PhraseMatcherSpec.
#pragma once

#include "analysis/phrases/phrase_matcher.h"
#include "parley/operation.pb.h"

namespace parley::analysis::phrases {

PhraseMatcherSpec SpecFromProto(const core::PhraseMatcher& matcher);

}  // namespace parley::analysis::phrases
