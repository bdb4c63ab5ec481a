#include "CVisionShim.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <exception>
#include <vector>

struct cvshim_cascade {
    cv::CascadeClassifier classifier;
};

extern "C" cvshim_cascade *cvshim_cascade_load(const char *path) {
    try {
        auto *cascade = new cvshim_cascade();
        if (!cascade->classifier.load(path)) {
            delete cascade;
            return nullptr;
        }
        return cascade;
    } catch (const std::exception &) {
        return nullptr;
    }
}

extern "C" void cvshim_cascade_free(cvshim_cascade *cascade) { delete cascade; }

static int copy_out(const std::vector<cv::Rect> &found, const std::vector<double> &weights, int *boxes, double *scores, int capacity) {
    int count = static_cast<int>(found.size());
    for (int i = 0; i < count && i < capacity; ++i) {
        boxes[4 * i] = found[i].x;
        boxes[4 * i + 1] = found[i].y;
        boxes[4 * i + 2] = found[i].width;
        boxes[4 * i + 3] = found[i].height;
        scores[i] = i < static_cast<int>(weights.size()) ? weights[i] : 1.0;
    }
    return count;
}

extern "C" int cvshim_detect_faces(cvshim_cascade *cascade, const unsigned char *gray, int width, int height, int stride,
                                   double scale_factor, int min_neighbors, int min_size, int *boxes, double *scores, int capacity) {
    if (!cascade || !gray || width <= 0 || height <= 0) return -1;
    try {
        cv::Mat frame(height, width, CV_8UC1, const_cast<unsigned char *>(gray), static_cast<size_t>(stride));
        cv::Mat equalized;
        cv::equalizeHist(frame, equalized);
        std::vector<cv::Rect> found;
        std::vector<int> levels;
        std::vector<double> weights;
        cascade->classifier.detectMultiScale(equalized, found, levels, weights, scale_factor, min_neighbors, 0,
                                             cv::Size(min_size, min_size), cv::Size(), true);
        return copy_out(found, weights, boxes, scores, capacity);
    } catch (const std::exception &) {
        return -1;
    }
}

extern "C" int cvshim_detect_people(const unsigned char *gray, int width, int height, int stride, double hit_threshold,
                                    double scale, int *boxes, double *scores, int capacity) {
    if (!gray || width <= 0 || height <= 0) return -1;
    try {
        cv::Mat frame(height, width, CV_8UC1, const_cast<unsigned char *>(gray), static_cast<size_t>(stride));
        cv::HOGDescriptor hog;
        hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
        std::vector<cv::Rect> found;
        std::vector<double> weights;
        hog.detectMultiScale(frame, found, weights, hit_threshold, cv::Size(8, 8), cv::Size(), scale, 2.0, false);
        return copy_out(found, weights, boxes, scores, capacity);
    } catch (const std::exception &) {
        return -1;
    }
}
