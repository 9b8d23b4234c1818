#include "core/thread_name.h"

#include <pthread.h>

#include <string>

namespace parley::core {
namespace {

void Name(pthread_t thread, std::string_view name) {
  const std::string cut(name.substr(0, 15));
  pthread_setname_np(thread, cut.c_str());
}

}  // namespace

void NameThread(std::thread& thread, std::string_view name) { Name(thread.native_handle(), name); }

void NameThisThread(std::string_view name) { Name(pthread_self(), name); }

}  // namespace parley::core
