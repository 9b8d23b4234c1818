// pocketsphinx's memory in huge pages. Its search walks linked lists of HMM
// channels and its language model is a ~30 MB trie read at random: most of a
// decode waits on TLB and cache misses (docs/quality/speech.md, fifth round).
// With 2 MiB pages the same decode takes ~0.8 of the CPU time and gives the
// same words. Only the recogniser's memory is advised (MADV_HUGEPAGE), not the
// server's: a jemalloc arena of its own whose new mappings get the advice.
#pragma once

namespace parley::audio {

// While alive, the calling thread's allocations come from that arena. Does
// nothing when `enabled` is false, when the program's allocator is not
// jemalloc (e.g. a test binary linked without it) or the arena could not be
// made; see Available().
class HugePageScope {
 public:
  explicit HugePageScope(bool enabled = true);
  ~HugePageScope();
  HugePageScope(const HugePageScope&) = delete;
  HugePageScope& operator=(const HugePageScope&) = delete;

  // Whether scopes switch arenas in this process (jemalloc is the allocator
  // and the arena exists; it is made on the first call).
  static bool Available();

 private:
  unsigned previous_ = 0;
  bool switched_ = false;
};

}  // namespace parley::audio
