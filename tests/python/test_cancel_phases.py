"""The cancel flag stops every phase of a run, not only the batches: a
flag raised once the last video is done stops the HDF5 merge that
follows (the complete parts stay, and the next run merges them)."""
import os

import h5py
import pytest

from conftest import CONFIGS


def test_a_cancel_raised_after_the_last_video_stops_the_hdf5_merge(
        tmp_path, ef, models, videos):
    out = tmp_path / "out"
    overrides = [f"model_config.model_path={models / 'tiny_video.pt'}",
                 "inference_config.device=cpu", f"io.out_path={out}",
                 f"io.video_dir_path={videos}", "io.uid_list=[a,b]",
                 "io.out_format=hdf5"]
    flag = ef.CancelFlag()
    finished = []

    def on_progress(p):
        # The last video to end: the merge comes next.
        if p.finished:
            finished.append(p.uid)
            if len(finished) == p.video_count:
                flag.set()
        return False

    with ef.Config.load("mvit_k400", config_dir=CONFIGS,
                        overrides=overrides) as cfg:
        with pytest.raises(ef.Error) as e:
            ef.perform_feature_extraction(cfg, progress=on_progress,
                                          cancel=flag)
        assert sorted(finished) == ["a", "b"]
        assert e.value.name == "EF_ECANCELLED", e.value
        # Not merged: it used to merge, and the run returned EF_OK.
        assert not (out / "features.h5").exists()
        parts = sorted(os.listdir(out / "features.h5.parts"))
        assert "a.npy" in parts and "b.npy" in parts, parts
        stats = ef.perform_feature_extraction(cfg)
        assert stats.ok
    with h5py.File(out / "features.h5", "r") as f:
        assert sorted(f.keys()) == ["_window_times", "a", "b"]
        assert sorted(f["_window_times"].keys()) == ["a", "b"]
