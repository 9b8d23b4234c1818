#include "audio/pocketsphinx/huge_page_arena.h"

#include <jemalloc/jemalloc.h>
#include <sys/mman.h>

#include <cstddef>

// Weak: null unless jemalloc is linked into the program (the server and CLI
// link it; libraries and some tests do not).
#pragma weak mallctl

namespace parley::audio {
namespace {

extent_hooks_t* default_hooks = nullptr;
extent_hooks_t huge_hooks;

// jemalloc's own mapping, then the advice (advice only: if the kernel has no
// transparent huge pages the memory is the same as before).
void* AllocAdvised(extent_hooks_t*, void* new_addr, size_t size, size_t alignment, bool* zero, bool* commit,
                   unsigned arena_ind) {
  void* p = default_hooks->alloc(default_hooks, new_addr, size, alignment, zero, commit, arena_ind);
  if (p != nullptr) madvise(p, size, MADV_HUGEPAGE);
  return p;
}

// The arena's index, or 0 (arena 0 is jemalloc's first, never ours) when
// there is none.
unsigned ArenaIndex() {
  static const unsigned index = [] {
    if (&mallctl == nullptr) return 0u;
    extent_hooks_t* hooks = nullptr;
    size_t hooks_size = sizeof hooks;
    if (mallctl("arena.0.extent_hooks", &hooks, &hooks_size, nullptr, 0) != 0 || hooks == nullptr ||
        hooks->alloc == nullptr) {
      return 0u;
    }
    default_hooks = hooks;
    huge_hooks = *hooks;
    huge_hooks.alloc = AllocAdvised;
    extent_hooks_t* mine = &huge_hooks;
    unsigned created = 0;
    size_t created_size = sizeof created;
    if (mallctl("arenas.create", &created, &created_size, &mine, sizeof mine) != 0) return 0u;
    return created;
  }();
  return index;
}

}  // namespace

bool HugePageScope::Available() { return ArenaIndex() != 0; }

HugePageScope::HugePageScope(bool enabled) {
  if (!enabled) return;
  unsigned arena = ArenaIndex();
  if (arena == 0) return;
  size_t size = sizeof previous_;
  if (mallctl("thread.arena", &previous_, &size, &arena, sizeof arena) != 0) return;
  switched_ = true;
  // Small blocks the thread cache holds came from the previous arena.
  mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
}

HugePageScope::~HugePageScope() {
  if (!switched_) return;
  mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
  mallctl("thread.arena", nullptr, nullptr, &previous_, sizeof previous_);
}

}  // namespace parley::audio
