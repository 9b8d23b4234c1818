// Names threads for the operator's tools (top -H, ps -L, perf, gdb):
// "parley-writer", "parley-net-0", ... Linux keeps 15 bytes of a name;
// longer names are cut.
#pragma once

#include <string_view>
#include <thread>

namespace parley::core {

// Names `thread` from the thread that started it, so the name is there as
// soon as this returns.
void NameThread(std::thread& thread, std::string_view name);
// Names the calling thread (for threads Parley does not start itself).
void NameThisThread(std::string_view name);

}  // namespace parley::core
