/*
 * Test oracle for JpegTruncationTests: TensorFlow's DecodeJpeg control flow on truncated data, written out in C and
 * linked with the system's libjpeg-turbo (the library TF links). It re-states, in our own words:
 *   - tensorflow/core/lib/jpeg/jpeg_handle.cc: the memory source (MemInitSource, MemFillInputBuffer's four cases,
 *     MemSkipInputData);
 *   - tensorflow/core/lib/jpeg/jpeg_mem.cc: UncompressLow (header, out_color_space, fancy upsampling, scale, dct
 *     method, jpeg_start_decompress with its result ignored, the one-line jpeg_read_scanlines loop, "Premature end"
 *     handling with and without try_recover_truncated_jpeg, CMYK -> RGB) and Uncompress (fraction_read against
 *     min(1, min_acceptable_fraction), rows from height_read on zeroed).
 * usage: tf_jpeg_mem_oracle file.jpg components ratio fancy islow recover fraction outdir n1 [n2 ...]
 * For each length n (the first n bytes of the file) it prints "n OK height_read height width components" and writes
 * outdir/n.raw, "n FAIL" when TF's Uncompress returns null, or "n HANG" when TF's decode would never return: with
 * try_recover_truncated the source answers a fill with bytes left by handing the same bytes back, so libjpeg's loops
 * that swallow 0xFF padding spin forever when every re-readable byte is 0xFF. The oracle stops such a loop after
 * kHangFills re-feeds (a real decode of these small files needs a few thousand at most).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
  struct jpeg_source_mgr pub;
  const unsigned char *data;
  size_t size;
  int recover;
} MemSource;

static const JOCTET kFakeEoi[2] = {0xFF, JPEG_EOI};
static const long kHangFills = 20000000;
static long refeeds;
static int hung;

static void src_init(j_decompress_ptr cinfo) {
  MemSource *src = (MemSource *)cinfo->src;
  src->pub.next_input_byte = src->data;
  src->pub.bytes_in_buffer = src->size;
}

static boolean src_fill(j_decompress_ptr cinfo) {
  MemSource *src = (MemSource *)cinfo->src;
  if (src->pub.bytes_in_buffer == 0 && src->pub.next_input_byte == src->data) {
    ERREXIT(cinfo, JERR_INPUT_EMPTY);
    return FALSE;
  }
  if (src->pub.bytes_in_buffer != 0) {
    if (src->recover && ++refeeds > kHangFills) {
      hung = 1;
      ERREXIT(cinfo, JERR_FILE_READ);
    }
    return src->recover ? TRUE : FALSE;
  }
  if (src->pub.next_input_byte != kFakeEoi && src->recover) {
    WARNMS(cinfo, JWRN_JPEG_EOF);
    src->pub.next_input_byte = kFakeEoi;
    src->pub.bytes_in_buffer = 2;
    return TRUE;
  }
  ERREXIT(cinfo, JERR_FILE_READ);
  return FALSE;
}

static void src_skip(j_decompress_ptr cinfo, long jump) {
  MemSource *src = (MemSource *)cinfo->src;
  if (jump < 0) return;
  if ((size_t)jump > src->pub.bytes_in_buffer) {
    src->pub.bytes_in_buffer = 0;
    (void)src_fill(cinfo);
  } else {
    src->pub.bytes_in_buffer -= jump;
    src->pub.next_input_byte += jump;
  }
}

static void src_term(j_decompress_ptr cinfo) { (void)cinfo; }

static jmp_buf failure;
static void on_error(j_common_ptr cinfo) { (void)cinfo; longjmp(failure, 1); }
static void on_message(j_common_ptr cinfo, int level) { if (level < 0) cinfo->err->num_warnings++; }

/* Returns the image (caller frees) or NULL; *height_read etc. describe it. */
static unsigned char *uncompress(const unsigned char *data, size_t size, int components, int ratio, int fancy, int islow,
                                 int recover, float fraction, int *height_read, int *height, int *width, int *comps) {
  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr jerr;
  unsigned char *volatile out = NULL;
  unsigned char *volatile cmyk_row = NULL;
  cinfo.err = jpeg_std_error(&jerr);
  jerr.error_exit = on_error;
  jerr.emit_message = on_message;
  if (setjmp(failure)) {
    jpeg_destroy_decompress(&cinfo);
    free(out);
    free(cmyk_row);
    return NULL;
  }
  jpeg_create_decompress(&cinfo);
  MemSource *src = (MemSource *)(*cinfo.mem->alloc_small)((j_common_ptr)&cinfo, JPOOL_PERMANENT, sizeof(MemSource));
  cinfo.src = &src->pub;
  src->pub.init_source = src_init;
  src->pub.fill_input_buffer = src_fill;
  src->pub.skip_input_data = src_skip;
  src->pub.resync_to_restart = jpeg_resync_to_restart;
  src->pub.term_source = src_term;
  src->data = data;
  src->size = size;
  src->recover = recover;
  src->pub.bytes_in_buffer = 0;
  src->pub.next_input_byte = NULL;
  jpeg_read_header(&cinfo, TRUE);
  if (components == 0) components = cinfo.num_components < 3 ? cinfo.num_components : 3;
  if (components == 1)
    cinfo.out_color_space = JCS_GRAYSCALE;
  else
    cinfo.out_color_space = (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) ? JCS_CMYK : JCS_RGB;
  cinfo.do_fancy_upsampling = (boolean)fancy;
  cinfo.scale_num = 1;
  cinfo.scale_denom = ratio;
  cinfo.dct_method = islow ? JDCT_ISLOW : JDCT_IFAST;
  jpeg_calc_output_dimensions(&cinfo);
  jpeg_start_decompress(&cinfo); /* TF ignores the result (a suspension in a multi-scan file) */
  int w = cinfo.output_width, h = cinfo.output_height, stride = w * components;
  int use_cmyk = cinfo.out_color_space == JCS_CMYK;
  out = malloc((size_t)h * stride);
  cmyk_row = malloc((size_t)w * 4);
  unsigned char *line = out;
  int read = h, truncated = 0;
  while (cinfo.output_scanline < (JDIMENSION)h) {
    int got;
    if (use_cmyk) {
      unsigned char *row = cmyk_row;
      got = jpeg_read_scanlines(&cinfo, &row, 1);
      for (int i = 0; got > 0 && i < w; i++) {
        int c = row[4 * i], m = row[4 * i + 1], y = row[4 * i + 2], k = row[4 * i + 3];
        if (cinfo.saw_Adobe_marker) {
          line[3 * i] = k * c / 255; line[3 * i + 1] = k * m / 255; line[3 * i + 2] = k * y / 255;
        } else {
          line[3 * i] = (255 - k) * (255 - c) / 255; line[3 * i + 1] = (255 - k) * (255 - m) / 255;
          line[3 * i + 2] = (255 - k) * (255 - y) / 255;
        }
      }
    } else {
      got = jpeg_read_scanlines(&cinfo, &line, 1);
    }
    if (got == 0) {
      if (!recover) {
        read = cinfo.output_scanline;
        truncated = 1;
      } else {
        for (JDIMENSION l = cinfo.output_scanline; l < (JDIMENSION)h; l++) {
          if (l == 0) memset(line, 0, stride); else memcpy(line, line - stride, stride);
          line += stride;
        }
        cinfo.output_scanline = h;
      }
      break;
    }
    line += stride;
  }
  if (!truncated) jpeg_finish_decompress(&cinfo); else jpeg_abort((j_common_ptr)&cinfo);
  jpeg_destroy_decompress(&cinfo);
  free(cmyk_row);
  float fraction_read = h == 0 ? 1.0f : (float)read / (float)h;
  if (fraction_read < (fraction < 1.0f ? fraction : 1.0f)) { free(out); return NULL; }
  if (read != h) memset(out + (size_t)read * stride, 0, (size_t)(h - read) * stride);
  *height_read = read; *height = h; *width = w; *comps = components;
  return out;
}

int main(int argc, char **argv) {
  if (argc < 10) { fprintf(stderr, "usage: see the header comment\n"); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 2;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *data = malloc(size);
  if (fread(data, 1, size, f) != (size_t)size) return 2;
  fclose(f);
  int components = atoi(argv[2]), ratio = atoi(argv[3]), fancy = atoi(argv[4]), islow = atoi(argv[5]), recover = atoi(argv[6]);
  float fraction = (float)atof(argv[7]);
  for (int a = 9; a < argc; a++) {
    long n = atol(argv[a]);
    if (n > size) n = size;
    /* A private copy of exactly n bytes, so that nothing past the cut can be read. */
    unsigned char *cut = malloc(n > 0 ? n : 1);
    memcpy(cut, data, n);
    int read = 0, h = 0, w = 0, c = 0;
    refeeds = 0;
    hung = 0;
    unsigned char *img = uncompress(cut, n, components, ratio, fancy, islow, recover, fraction, &read, &h, &w, &c);
    if (!img) {
      printf("%ld %s\n", n, hung ? "HANG" : "FAIL");
    } else {
      char path[4096];
      snprintf(path, sizeof path, "%s/%ld.raw", argv[8], n);
      FILE *o = fopen(path, "wb");
      fwrite(img, 1, (size_t)h * w * c, o);
      fclose(o);
      printf("%ld OK %d %d %d %d\n", n, read, h, w, c);
      free(img);
    }
    free(cut);
  }
  free(data);
  return 0;
}
