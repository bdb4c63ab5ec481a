#ifndef CVISION_SHIM_H
#define CVISION_SHIM_H

#ifdef __cplusplus
extern "C" {
#endif

/// A loaded Haar cascade (OpenCV CascadeClassifier); NULL when the file cannot be loaded.
typedef struct cvshim_cascade cvshim_cascade;

cvshim_cascade *cvshim_cascade_load(const char *path);
void cvshim_cascade_free(cvshim_cascade *cascade);

/// Faces in an 8-bit grayscale frame (`stride` bytes per row). Writes up to `capacity`
/// boxes as x, y, width, height into `boxes` and a confidence (the cascade's level weight)
/// into `scores`; returns how many were found (possibly more than `capacity`), or -1 on error.
int cvshim_detect_faces(cvshim_cascade *cascade, const unsigned char *gray, int width, int height, int stride,
                        double scale_factor, int min_neighbors, int min_size, int *boxes, double *scores, int capacity);

/// People in an 8-bit grayscale frame with OpenCV's default HOG people detector; same
/// output convention (scores are the SVM weights).
int cvshim_detect_people(const unsigned char *gray, int width, int height, int stride, double hit_threshold,
                         double scale, int *boxes, double *scores, int capacity);

#ifdef __cplusplus
}
#endif

#endif
