#pragma once
// A classic-BPF interpreter for seccomp programs, so unit tests can check what a compiled
// filter decides for a given syscall without loading it into the (irreversible) kernel.
// It covers the instructions libseccomp and the ENOSYS stub emit; anything else fails the
// test rather than guessing.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

namespace hako::test {

inline seccomp_data make_seccomp_data(std::uint32_t arch, int nr,
                                      std::initializer_list<std::uint64_t> args = {}) {
    seccomp_data data{};
    data.arch = arch;
    data.nr = nr;
    std::size_t i = 0;
    for (std::uint64_t arg : args) data.args[i++] = arg;
    return data;
}

// The SECCOMP_RET_* value the program returns for data, or 0xdeadbeef after a test failure.
inline std::uint32_t run_bpf(const std::vector<sock_filter>& program, const seccomp_data& data) {
    constexpr std::uint32_t kBroken = 0xdeadbeef;
    std::uint32_t a = 0, x = 0;
    std::array<std::uint32_t, BPF_MEMWORDS> memory{};
    for (std::size_t pc = 0; pc < program.size(); ++pc) {
        const sock_filter& insn = program[pc];
        const std::uint32_t operand = BPF_SRC(insn.code) == BPF_X ? x : insn.k;
        switch (BPF_CLASS(insn.code)) {
            case BPF_LD:
                if (insn.code == (BPF_LD | BPF_W | BPF_ABS)) {
                    if (insn.k % 4 != 0 || insn.k + 4 > sizeof(data)) {
                        ADD_FAILURE() << "load outside seccomp_data at " << pc;
                        return kBroken;
                    }
                    std::memcpy(&a, reinterpret_cast<const char*>(&data) + insn.k, 4);
                } else if (insn.code == (BPF_LD | BPF_IMM)) {
                    a = insn.k;
                } else if (insn.code == (BPF_LD | BPF_MEM)) {
                    a = memory.at(insn.k);
                } else {
                    ADD_FAILURE() << "unsupported load " << insn.code << " at " << pc;
                    return kBroken;
                }
                break;
            case BPF_LDX:
                if (insn.code == (BPF_LDX | BPF_IMM)) {
                    x = insn.k;
                } else if (insn.code == (BPF_LDX | BPF_MEM)) {
                    x = memory.at(insn.k);
                } else {
                    ADD_FAILURE() << "unsupported ldx " << insn.code << " at " << pc;
                    return kBroken;
                }
                break;
            case BPF_ST: memory.at(insn.k) = a; break;
            case BPF_STX: memory.at(insn.k) = x; break;
            case BPF_ALU:
                switch (BPF_OP(insn.code)) {
                    case BPF_AND: a &= operand; break;
                    case BPF_OR: a |= operand; break;
                    case BPF_ADD: a += operand; break;
                    case BPF_SUB: a -= operand; break;
                    case BPF_LSH: a <<= operand; break;
                    case BPF_RSH: a >>= operand; break;
                    default:
                        ADD_FAILURE() << "unsupported alu " << insn.code << " at " << pc;
                        return kBroken;
                }
                break;
            case BPF_JMP: {
                if (BPF_OP(insn.code) == BPF_JA) {
                    pc += insn.k;
                    break;
                }
                bool taken = false;
                switch (BPF_OP(insn.code)) {
                    case BPF_JEQ: taken = a == operand; break;
                    case BPF_JGT: taken = a > operand; break;
                    case BPF_JGE: taken = a >= operand; break;
                    case BPF_JSET: taken = (a & operand) != 0; break;
                    default:
                        ADD_FAILURE() << "unsupported jump " << insn.code << " at " << pc;
                        return kBroken;
                }
                pc += taken ? insn.jt : insn.jf;
                break;
            }
            case BPF_RET: return BPF_RVAL(insn.code) == BPF_A ? a : insn.k;
            case BPF_MISC:
                if (BPF_MISCOP(insn.code) == BPF_TAX) {
                    x = a;
                } else {
                    a = x;
                }
                break;
            default: ADD_FAILURE() << "unsupported class " << insn.code << " at " << pc; return kBroken;
        }
    }
    ADD_FAILURE() << "fell off the end of the program";
    return kBroken;
}

}  // namespace hako::test
