#pragma once
// Handing a SCMP_ACT_NOTIFY listener fd to the seccomp agent at linux.seccomp.listenerPath,
// as the runtime spec describes and runc does: connect to the agent's unix stream socket and
// send, in one sendmsg, the "containerProcessState" JSON with the fd attached (SCM_RIGHTS).
#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>

namespace hako::security {

struct ContainerProcessState {
    std::string oci_version;  // the config's ociVersion, as in `hako state`
    std::string id;
    pid_t pid = 0;              // the process the listener belongs to
    pid_t init_pid = 0;         // the container's init (state.pid); 0: the same as pid
    std::string status = "creating";  // "running" when `hako exec` adds a process
    std::string bundle;
    std::map<std::string, std::string> annotations;
    std::string metadata;  // linux.seccomp.listenerMetadata
};

// The runtime-spec document: {"ociVersion","fds":["seccompFd"],"pid","metadata",
// "state":{"ociVersion","id","status","pid","bundle","annotations"}}.
std::string container_process_state_json(const ContainerProcessState& state);

// Connects to listener_path and sends the JSON with listener_fd attached. Throws naming the
// path on any failure (the agent must have received both, or create fails).
void send_to_seccomp_agent(const std::string& listener_path, std::string_view state_json,
                           int listener_fd);

}  // namespace hako::security
