/*
 * spandsp-t38: a T.38 fax terminal from spandsp 0.0.6 (t38_terminal) behind a small UDPTL layer,
 * the far end of edgefax's interop tests. spandsp has no UDPTL, so this file supplies it:
 * T.38 §9.1 UDPTL framing with redundancy (N secondary IFPs per datagram), in-order delivery with
 * recovery of lost packets from the redundancy of later ones, and a simulated loss rate.
 *
 * usage: spandsp-t38 --mode send|receive --tiff FILE [--calling] [--port N] [--remote HOST:PORT]
 *                    [--ecm on|off] [--compressions mh,mr,mmr] [--loss PCT] [--tx-loss PCT] [--redundancy N]
 *                    [--timeout SEC] [--seed N] [--verbose]
 * Prints "UDPTL_PORT <n>" once bound, then one line:
 *   RESULT ok=<0|1> code=<n> text="<t30 result>" pages=<n> rate=<bps> ecm=<0|1> encoding=<n> resolution=<y dpm>
 *          lost=<n> recovered=<n> dropped=<n> elapsed_ms=<n> t38_ms=<first datagram received to phase E>
 * --loss drops received datagrams (after they crossed the wire, so a capture still sees them all);
 * --tx-loss drops datagrams before sending them.
 * Without --remote it sends to wherever the first datagram came from (symmetric UDPTL),
 * keeping what it wanted to send until then.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <tiffio.h>
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>

#define MAX_IFP 1024
#define MAX_REDUNDANCY 8
#define QUEUE_MAX 128

static int sock = -1;
static struct sockaddr_in remote_addr;
static int remote_known = 0;
static double loss = 0.0;      /* --loss: fraction of received datagrams dropped */
static double tx_loss = 0.0;   /* --tx-loss: fraction of datagrams never sent */
static int redundancy = 3;
static int verbose = 0;

/* Sender state: the previous IFPs, newest first, for the secondary-ifp-packets field. */
static uint8_t hist[MAX_REDUNDANCY][MAX_IFP];
static int hist_len[MAX_REDUNDANCY];
static int hist_count = 0;
static uint16_t tx_seq = 0;

/* Datagrams produced before the far end's address is known. */
static uint8_t queue_buf[QUEUE_MAX][4096];
static int queue_len[QUEUE_MAX];
static int queue_count = 0;

/* Receiver state. */
static int rx_expected = -1;
static int stat_lost = 0, stat_recovered = 0, stat_dropped_sim = 0;

static volatile int done = 0;
static int completion = -1;

static int drop(double rate) { return rate > 0.0 && (rand() / (RAND_MAX + 1.0)) < rate; }

/* X.691 §11.9.3.6-7: aligned length determinant, 1 or 2 octets. */
static int put_len(uint8_t *b, int pos, int n)
{
    if (n < 128) { b[pos++] = (uint8_t) n; }
    else { b[pos++] = (uint8_t) (0x80 | (n >> 8)); b[pos++] = (uint8_t) (n & 0xff); }
    return pos;
}

static int get_len(const uint8_t *b, int len, int *pos, int *out)
{
    if (*pos >= len) return -1;
    if ((b[*pos] & 0x80) == 0) { *out = b[(*pos)++]; return 0; }
    if ((b[*pos] & 0x40) != 0) return -1; /* fragmented: never valid in UDPTL */
    if (*pos + 1 >= len) return -1;
    *out = ((b[*pos] & 0x3f) << 8) | b[*pos + 1];
    *pos += 2;
    return 0;
}

static void raw_send(const uint8_t *b, int len)
{
    if (!remote_known)
    {
        if (queue_count < QUEUE_MAX) { memcpy(queue_buf[queue_count], b, len); queue_len[queue_count++] = len; }
        return;
    }
    if (drop(tx_loss)) { stat_dropped_sim++; return; }
    sendto(sock, b, len, 0, (struct sockaddr *) &remote_addr, sizeof(remote_addr));
}

/* spandsp calls this for every IFP it sends; count is how many identical copies to send. */
static int tx_packet_handler(t38_core_state_t *s, void *user_data, const uint8_t *ifp, int len, int count)
{
    uint8_t b[4096];
    int pos = 0, i;
    if (len > MAX_IFP) return -1;
    b[pos++] = (uint8_t) (tx_seq >> 8);
    b[pos++] = (uint8_t) tx_seq;
    pos = put_len(b, pos, len);
    memcpy(b + pos, ifp, len);
    pos += len;
    b[pos++] = 0x00; /* error-recovery: secondary-ifp-packets */
    pos = put_len(b, pos, hist_count);
    for (i = 0; i < hist_count; i++)
    {
        pos = put_len(b, pos, hist_len[i]);
        memcpy(b + pos, hist[i], hist_len[i]);
        pos += hist_len[i];
    }
    for (i = 0; i < count; i++) raw_send(b, pos);
    /* Shift the history. */
    for (i = (redundancy < MAX_REDUNDANCY ? redundancy : MAX_REDUNDANCY) - 1; i > 0; i--)
    {
        memcpy(hist[i], hist[i - 1], hist_len[i - 1]);
        hist_len[i] = hist_len[i - 1];
    }
    if (redundancy > 0) { memcpy(hist[0], ifp, len); hist_len[0] = len; }
    if (hist_count < redundancy) hist_count++;
    tx_seq++;
    return 0;
}

static void rx_datagram(t38_core_state_t *core, const uint8_t *b, int len)
{
    int pos = 0, plen, seq, i, nsec;
    const uint8_t *primary;
    const uint8_t *sec[16];
    int sec_len[16];
    if (len < 4) return;
    seq = (b[0] << 8) | b[1];
    pos = 2;
    if (get_len(b, len, &pos, &plen) || plen <= 0 || pos + plen > len) return;
    primary = b + pos;
    pos += plen;
    if (pos >= len) return;
    nsec = 0;
    if ((b[pos++] & 0x80) == 0)
    {
        int count;
        if (get_len(b, len, &pos, &count)) return;
        for (i = 0; i < count; i++)
        {
            int l;
            if (get_len(b, len, &pos, &l) || pos + l > len) return;
            if (i < 16) { sec[i] = b + pos; sec_len[i] = l; nsec = i + 1; }
            pos += l;
        }
    }
    /* else: parity FEC, which we parse no further and do not use. */
    if (rx_expected < 0) rx_expected = seq;
    {
        int ahead = (seq - rx_expected) & 0xffff;
        if (ahead >= 0x8000) return; /* duplicate or late */
        for (i = ahead; i >= 1; i--)
        {
            int s = (seq - i) & 0xffff;
            if (i <= nsec && sec_len[i - 1] > 0)
            {
                t38_core_rx_ifp_packet(core, sec[i - 1], sec_len[i - 1], (uint16_t) s);
                stat_recovered++;
            }
            else
            {
                stat_lost++;
            }
        }
        t38_core_rx_ifp_packet(core, primary, plen, (uint16_t) seq);
        rx_expected = (seq + 1) & 0xffff;
    }
}

static void phase_e_handler(t30_state_t *s, void *user_data, int result)
{
    completion = result;
    done = 1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    const char *mode = "receive", *tiff = NULL, *remote = NULL, *compressions = "mh,mr,mmr";
    int calling = 0, port = 0, ecm = 1, timeout_s = 120, seed = 1, i;
    struct sockaddr_in local;
    socklen_t sl = sizeof(local);
    t38_terminal_state_t *t38;
    t30_state_t *t30;
    t38_core_state_t *core;
    t30_stats_t stats;
    int supported = 0;
    double start, next_tick, done_at = -1, first_rx = -1;

    for (i = 1; i < argc; i++)
    {
        const char *a = argv[i];
        const char *v = (i + 1 < argc) ? argv[i + 1] : "";
        if (!strcmp(a, "--mode")) { mode = v; i++; }
        else if (!strcmp(a, "--tiff")) { tiff = v; i++; }
        else if (!strcmp(a, "--calling")) calling = 1;
        else if (!strcmp(a, "--port")) { port = atoi(v); i++; }
        else if (!strcmp(a, "--remote")) { remote = v; i++; }
        else if (!strcmp(a, "--ecm")) { ecm = !strcmp(v, "on"); i++; }
        else if (!strcmp(a, "--compressions")) { compressions = v; i++; }
        else if (!strcmp(a, "--loss")) { loss = atof(v) / 100.0; i++; }
        else if (!strcmp(a, "--tx-loss")) { tx_loss = atof(v) / 100.0; i++; }
        else if (!strcmp(a, "--redundancy")) { redundancy = atoi(v); i++; }
        else if (!strcmp(a, "--timeout")) { timeout_s = atoi(v); i++; }
        else if (!strcmp(a, "--seed")) { seed = atoi(v); i++; }
        else if (!strcmp(a, "--verbose")) verbose = 1;
        else { fprintf(stderr, "unknown option %s\n", a); return 2; }
    }
    if (!tiff) { fprintf(stderr, "--tiff is required\n"); return 2; }
    if (redundancy > MAX_REDUNDANCY) redundancy = MAX_REDUNDANCY;
    srand(seed);
    if (strstr(compressions, "mh")) supported |= T30_SUPPORT_T4_1D_COMPRESSION;
    if (strstr(compressions, "mr")) supported |= T30_SUPPORT_T4_2D_COMPRESSION;
    if (strstr(compressions, "mmr")) supported |= T30_SUPPORT_T6_COMPRESSION;

    sock = socket(AF_INET, SOCK_DGRAM, 0);
    memset(&local, 0, sizeof(local));
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    local.sin_port = htons(port);
    if (bind(sock, (struct sockaddr *) &local, sizeof(local)) < 0) { perror("bind"); return 2; }
    getsockname(sock, (struct sockaddr *) &local, &sl);
    printf("UDPTL_PORT %d\n", ntohs(local.sin_port));
    fflush(stdout);
    if (remote)
    {
        char host[64];
        const char *colon = strrchr(remote, ':');
        if (!colon || colon - remote >= (int) sizeof(host)) { fprintf(stderr, "bad --remote\n"); return 2; }
        memcpy(host, remote, colon - remote);
        host[colon - remote] = '\0';
        memset(&remote_addr, 0, sizeof(remote_addr));
        remote_addr.sin_family = AF_INET;
        remote_addr.sin_port = htons(atoi(colon + 1));
        inet_pton(AF_INET, host, &remote_addr.sin_addr);
        remote_known = 1;
    }

    t38 = t38_terminal_init(NULL, calling, tx_packet_handler, NULL);
    t30 = t38_terminal_get_t30_state(t38);
    core = t38_terminal_get_t38_core_state(t38);
    t38_set_t38_version(core, 0);
    t38_set_max_datagram_size(core, 400);
    t38_terminal_set_config(t38, 0);
    t38_terminal_set_tep_mode(t38, 0);
    t38_terminal_set_fill_bit_removal(t38, 0);
    /* (after set_config, which resets them) Indicators go out 3 times (nothing later may carry them as redundancy); data ends are carried by the following no-signal. */
    t38_set_redundancy_control(core, T38_PACKET_CATEGORY_INDICATOR, 3);
    t38_set_redundancy_control(core, T38_PACKET_CATEGORY_CONTROL_DATA, 1);
    t38_set_redundancy_control(core, T38_PACKET_CATEGORY_CONTROL_DATA_END, 1);
    t38_set_redundancy_control(core, T38_PACKET_CATEGORY_IMAGE_DATA, 1);
    t38_set_redundancy_control(core, T38_PACKET_CATEGORY_IMAGE_DATA_END, 1);
    if (verbose)
    {
        span_log_set_level(t30_get_logging_state(t30), SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_PROTOCOL | SPAN_LOG_FLOW);
        span_log_set_level(t38_core_get_logging_state(core), SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_PROTOCOL | SPAN_LOG_FLOW);
    }
    t30_set_tx_ident(t30, calling ? "spandsp caller" : "spandsp callee");
    t30_set_ecm_capability(t30, ecm);
    t30_set_supported_compressions(t30, supported);
    t30_set_phase_e_handler(t30, phase_e_handler, NULL);
    if (!strcmp(mode, "send")) t30_set_tx_file(t30, tiff, -1, -1);
    else t30_set_rx_file(t30, tiff, -1);

    start = now_ms();
    next_tick = start;
    for (;;)
    {
        double now = now_ms();
        int wait;
        struct pollfd pfd;
        if (now >= next_tick)
        {
            /* 20 ms of time at 8000 samples/s: spandsp's timers and pacing run in real time. */
            t38_terminal_send_timeout(t38, 160);
            next_tick += 20.0;
        }
        if (done && done_at < 0) done_at = now;
        /* After phase E keep the socket up briefly so the final DCN's copies and late repeats are absorbed. */
        if (done_at >= 0 && now - done_at > 500) break;
        if (now - start > timeout_s * 1000.0) break;
        wait = (int) (next_tick - now);
        if (wait < 0) wait = 0;
        pfd.fd = sock;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, wait) > 0 && (pfd.revents & POLLIN))
        {
            uint8_t b[4096];
            struct sockaddr_in from;
            socklen_t fl = sizeof(from);
            int n = recvfrom(sock, b, sizeof(b), 0, (struct sockaddr *) &from, &fl);
            if (n <= 0) continue;
            if (first_rx < 0) first_rx = now_ms();
            if (!remote_known)
            {
                remote_addr = from;
                remote_known = 1;
                for (i = 0; i < queue_count; i++) raw_send(queue_buf[i], queue_len[i]);
                queue_count = 0;
            }
            if (drop(loss)) { stat_dropped_sim++; continue; }
            rx_datagram(core, b, n);
        }
    }
    t30_get_transfer_statistics(t30, &stats);
    printf("RESULT ok=%d code=%d text=\"%s\" pages=%d rate=%d ecm=%d encoding=%d resolution=%d lost=%d recovered=%d dropped=%d elapsed_ms=%.0f t38_ms=%.0f\n",
           completion == T30_ERR_OK, completion, completion < 0 ? "timeout" : t30_completion_code_to_str(completion),
           !strcmp(mode, "send") ? stats.pages_tx : stats.pages_rx, stats.bit_rate, stats.error_correcting_mode,
           stats.encoding, stats.y_resolution, stat_lost, stat_recovered, stat_dropped_sim, now_ms() - start,
           (done_at >= 0 && first_rx >= 0) ? done_at - first_rx : -1.0);
    fflush(stdout);
    t38_terminal_free(t38);
    close(sock);
    return completion == T30_ERR_OK ? 0 : 1;
}
