# The paper's experiment on the sim host, one config per mitigation. Sourced by the
# scenario test and by bench/locality.sh after lib.sh.

# A CVM on node 0 flips packets into web1, whose 4 GiB live on node 1.
sim_host() {
        cat <<'EOS'
[sim]
seed = 42
nodes = 2
node_size = 8GiB
cvm_node = 0
cvm_memory = 2GiB
step = 1s
clock = virtual

[sim.vm web1]
memory = 4GiB
home = 1
flip_rate = 70/s
EOS
}

# scenario_config none|threshold|periodic|pool
scenario_config() {
        case "$1" in
        none)
                printf '[defaults]\nmode = monitor\n'
                ;;
        threshold)
                printf '[defaults]\nmode = threshold\nthreshold = 5%%\ntarget = 2%%\n'
                printf 'cooldown = 30s\nrate_limit = 256MiB/s\nbatch = 16MiB\n'
                ;;
        periodic)
                printf '[defaults]\nmode = periodic\nperiod = 5m\ntarget = 1%%\n'
                printf 'rate_limit = 256MiB/s\nbatch = 16MiB\n'
                ;;
        pool)
                printf '[defaults]\nmode = monitor\n'
                printf '[pool]\nmode = dynamic\nsize = 16 pages\nmin = 16 pages\n'
                printf 'max = 64MiB\ninterval = 10s\n'
                ;;
        esac
        sim_host
}
