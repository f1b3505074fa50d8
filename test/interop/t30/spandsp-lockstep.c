/*
 * spandsp-lockstep: spandsp 0.0.6's T.38 terminal (t38_terminal) driven in virtual time over
 * stdin/stdout, so edgefax's T.30 engine can be checked against it bit for bit without UDP,
 * UDPTL or real-time waits. Time only moves when the other side says so, so a whole fax takes
 * well under a second and every run is the same.
 *
 * usage: spandsp-lockstep --mode send|receive --tiff FILE [--calling] [--ecm 0|1]
 *                         [--compressions mh,mr,mmr] [--ident ID] [--log]
 *
 * Records both ways are: 1 octet type, 2 octets length (big endian), payload.
 *   stdin   'P' an IFP packet (T.38 Annex A PER) for spandsp
 *           'T' 4 octets (big endian): advance time by that many 8 kHz samples
 *   stdout  'P' an IFP packet spandsp sent
 *           'A' after each 'T': 1 octet, 1 once the call is over
 *           'R' at the end: "ok=<0|1> code=<n> pages=<n> rate=<bps> ecm=<0|1> encoding=<n> text=<t30 result>"
 * spandsp's own log goes to stderr with --log.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <tiffio.h>
#include <spandsp.h>

static int finished = 0;
static int completion = -1;
static uint16_t rx_seq = 0;

static void put_record(int type, const uint8_t *buf, int len)
{
    uint8_t hdr[3] = {(uint8_t) type, (uint8_t) (len >> 8), (uint8_t) len};
    fwrite(hdr, 1, 3, stdout);
    if (len > 0)
        fwrite(buf, 1, len, stdout);
}

static int tx_packet_handler(t38_core_state_t *s, void *user_data, const uint8_t *buf, int len, int count)
{
    /* count asks for repeats (UDP insurance); a lossless pipe needs one copy. */
    put_record('P', buf, len);
    return 0;
}

static void phase_e_handler(t30_state_t *s, void *user_data, int result)
{
    completion = result;
    finished = 1;
}

static int read_exact(uint8_t *buf, int len)
{
    int got = 0;
    while (got < len)
    {
        ssize_t n = read(0, buf + got, len - got);
        if (n <= 0)
            return -1;
        got += n;
    }
    return 0;
}

int main(int argc, char *argv[])
{
    const char *mode = "receive";
    const char *tiff = NULL;
    const char *ident = "5551234";
    const char *compressions = "mh,mr,mmr";
    int calling = 0;
    int ecm = 1;
    int log = 0;
    int i;

    for (i = 1;  i < argc;  i++)
    {
        if (strcmp(argv[i], "--mode") == 0  &&  i + 1 < argc)
            mode = argv[++i];
        else if (strcmp(argv[i], "--tiff") == 0  &&  i + 1 < argc)
            tiff = argv[++i];
        else if (strcmp(argv[i], "--ident") == 0  &&  i + 1 < argc)
            ident = argv[++i];
        else if (strcmp(argv[i], "--compressions") == 0  &&  i + 1 < argc)
            compressions = argv[++i];
        else if (strcmp(argv[i], "--ecm") == 0  &&  i + 1 < argc)
            ecm = atoi(argv[++i]);
        else if (strcmp(argv[i], "--calling") == 0)
            calling = 1;
        else if (strcmp(argv[i], "--log") == 0)
            log = 1;
    }
    if (tiff == NULL)
    {
        fprintf(stderr, "--tiff is required\n");
        return 2;
    }

    t38_terminal_state_t *t38 = t38_terminal_init(NULL, calling, tx_packet_handler, NULL);
    t30_state_t *t30 = t38_terminal_get_t30_state(t38);
    t38_core_state_t *core = t38_terminal_get_t38_core_state(t38);
    /* The transport's PER codec follows T.38 (2002+) Annex A, where field types are extensible;
       version 0 used the 1998 ASN.1, which encodes them differently. */
    t38_set_t38_version(core, 2);
    t38_set_data_rate_management_method(core, T38_DATA_RATE_MANAGEMENT_TRANSFERRED_TCF);
    t38_terminal_set_config(t38, 0);
    t38_terminal_set_tep_mode(t38, 0);
    t38_terminal_set_fill_bit_removal(t38, 0);

    t30_set_tx_ident(t30, ident);
    if (strcmp(mode, "send") == 0)
        t30_set_tx_file(t30, tiff, -1, -1);
    else
        t30_set_rx_file(t30, tiff, -1);
    t30_set_ecm_capability(t30, ecm);
    int comp = 0;
    if (strstr(compressions, "mh"))
        comp |= T30_SUPPORT_T4_1D_COMPRESSION;
    if (strstr(compressions, "mr"))
        comp |= T30_SUPPORT_T4_2D_COMPRESSION;
    if (strstr(compressions, "mmr"))
        comp |= T30_SUPPORT_T6_COMPRESSION;
    t30_set_supported_compressions(t30, comp);
    t30_set_phase_e_handler(t30, phase_e_handler, NULL);
    if (log)
    {
        span_log_set_level(t30_get_logging_state(t30), SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_PROTOCOL | SPAN_LOG_FLOW);
        span_log_set_tag(t30_get_logging_state(t30), "T.30");
        span_log_set_level(t38_core_get_logging_state(core), SPAN_LOG_SHOW_SEVERITY | SPAN_LOG_SHOW_PROTOCOL | SPAN_LOG_FLOW);
        span_log_set_tag(t38_core_get_logging_state(core), "T.38");
    }

    uint8_t hdr[3];
    uint8_t buf[65536];
    int over = 0;
    while (read_exact(hdr, 3) == 0)
    {
        int len = (hdr[1] << 8) | hdr[2];
        if (len > 0  &&  read_exact(buf, len) != 0)
            break;
        if (hdr[0] == 'P')
        {
            if (!over)
                t38_core_rx_ifp_packet(core, buf, len, rx_seq++);
        }
        else if (hdr[0] == 'T'  &&  len == 4)
        {
            int samples = (buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3];
            if (!over  &&  t38_terminal_send_timeout(t38, samples))
                over = 1;
            if (finished)
                over = 1;
            uint8_t flag = (uint8_t) over;
            put_record('A', &flag, 1);
            if (over)
                break;
        }
        fflush(stdout);
    }
    t30_stats_t stats;
    t30_get_transfer_statistics(t30, &stats);
    char line[512];
    int pages = (strcmp(mode, "send") == 0)  ?  stats.pages_tx  :  stats.pages_rx;
    snprintf(line, sizeof(line), "ok=%d code=%d pages=%d rate=%d ecm=%d encoding=%d text=%s",
             completion == T30_ERR_OK, completion, pages, stats.bit_rate, stats.error_correcting_mode, stats.encoding,
             t30_completion_code_to_str(completion));
    put_record('R', (const uint8_t *) line, (int) strlen(line));
    fflush(stdout);
    return 0;
}
