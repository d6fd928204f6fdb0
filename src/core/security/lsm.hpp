#pragma once
// Linux security module labels: process.apparmorProfile, process.selinuxLabel and
// linux.mountLabel. The labels for the container process are written for its execve
// ("attr/exec") by the init, through hako's private procfs (private_procfs.hpp), never through
// the container's /proc (CVE-2019-16884).
//
// On a host without the module, hako does what runc 1.1.5 does there: an SELinux label (process
// or mount) is refused before anything is set up ("selinux label is specified in config, but
// selinux is disabled or not supported"); an AppArmor profile is attempted and the kernel's
// refusal (EINVAL) fails the create, the message saying AppArmor is not enabled.
#include <string>

#include "security/private_procfs.hpp"
#include "spec/spec.hpp"

namespace hako::security {

// runc's apparmor.IsEnabled: securityfs shows apparmor and the module parameter says "Y".
bool apparmor_enabled();
// selinuxfs is mounted at /sys/fs/selinux (go-selinux's GetEnabled, without the policy probe).
bool selinux_enabled();

// Throws, naming the field, when the spec asks for an SELinux label the host cannot apply.
void check_lsm_support(const spec::Spec& spec);

// The attr file of the calling thread that sets the AppArmor profile for the next execve:
// "<thread>/attr/apparmor/exec" where the kernel has per-module attrs, else "<thread>/attr/exec".
std::string apparmor_exec_attr(const PrivateProcfs& proc);

// Writes the process's AppArmor profile ("exec <profile>") and SELinux label for the next
// execve of the calling thread. Nothing happens for empty fields.
void apply_exec_labels(const PrivateProcfs& proc, const spec::Process& process);
// Whether apply_exec_labels has anything to write (and so needs a PrivateProcfs).
bool has_exec_labels(const spec::Process& process);

}  // namespace hako::security
