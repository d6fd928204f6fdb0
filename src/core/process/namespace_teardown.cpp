#include "process/namespace_teardown.hpp"

#include <fcntl.h>

#include <string>

namespace hako::process {

NamespaceTeardown::NamespaceTeardown(pid_t pid) {
    const std::string dir = "/proc/" + std::to_string(pid) + "/ns/";
    const std::array<const char*, 3> names{"mnt", "net", "ipc"};
    for (std::size_t i = 0; i < names.size(); ++i)
        held_[i].reset(::open((dir + names[i]).c_str(), O_RDONLY | O_CLOEXEC));
}

void NamespaceTeardown::release_elsewhere() noexcept {
    if (!helper_.start(release, this)) release(this);
}

// The last close of an nsfs file tears the namespace down in the closing thread.
void NamespaceTeardown::release(void* self) noexcept {
    for (auto& fd : static_cast<NamespaceTeardown*>(self)->held_) fd.reset();
}

}  // namespace hako::process
