#include "analysis/phrases/phrase_matcher_proto.h"

namespace parley::analysis::phrases {

PhraseMatcherSpec SpecFromProto(const core::PhraseMatcher& m) {
  PhraseMatcherSpec spec;
  spec.id = m.id();
  spec.display_name = m.display_name();
  spec.all_of = m.all_of();
  spec.active = m.active();
  spec.role_match = static_cast<core::Role>(m.role_match());
  spec.revision_id = m.revision_id();
  spec.version_tag = m.version_tag();
  spec.language_code = m.language_code();
  spec.revision_create_time_us = m.revision_create_time_us();
  spec.activation_update_time_us = m.activation_update_time_us();
  spec.update_time_us = m.update_time_us();
  for (const core::PhraseRuleGroup& g : m.groups()) {
    RuleGroup group;
    group.all_of = g.all_of();
    for (const core::PhraseRule& r : g.rules()) {
      group.rules.push_back(PhraseRule{r.query(), r.negated(), r.case_sensitive()});
    }
    spec.groups.push_back(std::move(group));
  }
  return spec;
}

}  // namespace parley::analysis::phrases
