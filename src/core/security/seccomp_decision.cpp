#include "security/seccomp_decision.hpp"

#include <array>
#include <cstring>

namespace hako::security {

seccomp_data make_seccomp_data(std::uint32_t arch, int nr,
                               std::initializer_list<std::uint64_t> args) {
    seccomp_data data{};
    data.arch = arch;
    data.nr = nr;
    std::size_t i = 0;
    for (std::uint64_t arg : args)
        if (i < 6) data.args[i++] = arg;
    return data;
}

std::optional<std::uint32_t> seccomp_decision(const std::vector<sock_filter>& program,
                                              const seccomp_data& data) {
    std::uint32_t a = 0, x = 0;
    std::array<std::uint32_t, BPF_MEMWORDS> memory{};
    for (std::size_t pc = 0; pc < program.size(); ++pc) {
        const sock_filter& insn = program[pc];
        const std::uint32_t operand = BPF_SRC(insn.code) == BPF_X ? x : insn.k;
        switch (BPF_CLASS(insn.code)) {
            case BPF_LD:
                if (insn.code == (BPF_LD | BPF_W | BPF_ABS)) {
                    if (insn.k % 4 != 0 || insn.k + 4 > sizeof(data)) return std::nullopt;
                    std::memcpy(&a, reinterpret_cast<const char*>(&data) + insn.k, 4);
                } else if (insn.code == (BPF_LD | BPF_IMM)) {
                    a = insn.k;
                } else if (insn.code == (BPF_LD | BPF_MEM) && insn.k < BPF_MEMWORDS) {
                    a = memory[insn.k];
                } else {
                    return std::nullopt;
                }
                break;
            case BPF_LDX:
                if (insn.code == (BPF_LDX | BPF_IMM)) {
                    x = insn.k;
                } else if (insn.code == (BPF_LDX | BPF_MEM) && insn.k < BPF_MEMWORDS) {
                    x = memory[insn.k];
                } else {
                    return std::nullopt;
                }
                break;
            case BPF_ST:
            case BPF_STX:
                if (insn.k >= BPF_MEMWORDS) return std::nullopt;
                memory[insn.k] = BPF_CLASS(insn.code) == BPF_ST ? a : x;
                break;
            case BPF_ALU:
                switch (BPF_OP(insn.code)) {
                    case BPF_AND:
                        a &= operand;
                        break;
                    case BPF_OR:
                        a |= operand;
                        break;
                    case BPF_XOR:
                        a ^= operand;
                        break;
                    case BPF_ADD:
                        a += operand;
                        break;
                    case BPF_SUB:
                        a -= operand;
                        break;
                    case BPF_MUL:
                        a *= operand;
                        break;
                    case BPF_LSH:
                        a = operand < 32 ? a << operand : 0;
                        break;
                    case BPF_RSH:
                        a = operand < 32 ? a >> operand : 0;
                        break;
                    case BPF_NEG:
                        a = 0U - a;
                        break;
                    default:
                        return std::nullopt;
                }
                break;
            case BPF_JMP: {
                std::size_t skip = 0;
                switch (BPF_OP(insn.code)) {
                    case BPF_JA:
                        skip = insn.k;
                        break;
                    case BPF_JEQ:
                        skip = a == operand ? insn.jt : insn.jf;
                        break;
                    case BPF_JGT:
                        skip = a > operand ? insn.jt : insn.jf;
                        break;
                    case BPF_JGE:
                        skip = a >= operand ? insn.jt : insn.jf;
                        break;
                    case BPF_JSET:
                        skip = (a & operand) != 0 ? insn.jt : insn.jf;
                        break;
                    default:
                        return std::nullopt;
                }
                if (skip >= program.size() - pc) return std::nullopt;
                pc += skip;
                break;
            }
            case BPF_RET:
                if (BPF_RVAL(insn.code) == BPF_A) return a;
                if (BPF_RVAL(insn.code) == BPF_K) return insn.k;
                return std::nullopt;
            case BPF_MISC:
                if (BPF_MISCOP(insn.code) == BPF_TAX)
                    x = a;
                else if (BPF_MISCOP(insn.code) == BPF_TXA)
                    a = x;
                else
                    return std::nullopt;
                break;
            default:
                return std::nullopt;
        }
    }
    return std::nullopt;  // fell off the end
}

}  // namespace hako::security
