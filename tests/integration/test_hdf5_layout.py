"""The HDF5 layout Ego4D's own readers open: /<uid> is the float32 [N, D]
dataset (their create_dataset(uid, data=features); LabelledFeatureDset
reads f[uid][0:]), /_window_times/<uid> the float64 [N, 2] times;
chunked, optionally gzip-compressed; files of the first layout (a group
per uid) still resume and are converted by the next merge."""
import os

import h5py
import numpy as np
import torch

from conftest import extract_args, make_clips, run_cli

TIMES = "_window_times"


class FeatureDsetLikeEgo4D:
    """What Ego4D's LabelledFeatureDset does with a features file: open it
    once, and per item read f[uid][0:]."""

    def __init__(self, path, uids):
        self.features = h5py.File(path, "r")
        self.uids = uids

    def __getitem__(self, i):
        return self.features[self.uids[i]][0:]


def test_ego4d_reader_gets_the_pt_features(tmp_path, models):
    vids = tmp_path / "v"
    uids = make_clips(vids, 2)
    model = models / "tiny_video.pt"
    pt = tmp_path / "pt"
    h = tmp_path / "h"
    run_cli(*extract_args("mvit_k400", vids, pt, model, "--quiet"), check=0)
    run_cli(*extract_args("mvit_k400", vids, h, model, "io.out_format=hdf5",
                          "--quiet"), check=0)
    merged = tmp_path / "merged.h5"
    run_cli("merge", "--out", str(merged), str(pt), check=0)
    for path, exact in ((merged, True), (h / "features.h5", False)):
        ds = FeatureDsetLikeEgo4D(path, uids)
        for i, u in enumerate(uids):
            got = ds[i]
            want = torch.load(pt / f"{u}.pt").numpy()
            assert isinstance(got, np.ndarray) and got.ndim == 2
            assert got.dtype == np.float32 and got.shape == want.shape
            if exact:
                assert np.array_equal(got, want)
            else:
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
            t = ds.features[TIMES][u]
            assert t.dtype == np.float64 and t.shape == (want.shape[0], 2)
            assert np.array_equal(t[()], np.load(pt / f"{u}.times.npy"))
            a = ds.features[u].attrs
            assert len(a["fingerprint"]) == 64
            assert "model_config.kind" in a["provenance"]
            assert "frame_window" in a["config"]
            assert ds.features[u].chunks is not None
            assert ds.features[u].compression is None
        ds.features.close()


def test_gzip_compression(tmp_path, models):
    vids = tmp_path / "v"
    uids = make_clips(vids, 1)
    out = tmp_path / "h"
    args = extract_args("mvit_k400", vids, out, models / "tiny_video.pt",
                        "io.out_format=hdf5", "--quiet")
    run_cli(*args, "io.hdf5_compression=gzip-7", check=0)
    with h5py.File(out / "features.h5", "r") as f:
        assert f[uids[0]].compression == "gzip"
        assert f[uids[0]].compression_opts == 7
        assert f[uids[0]].chunks[1:] == f[uids[0]].shape[1:]
    p = run_cli(*args, "io.hdf5_compression=zip", check=2)
    assert "io.hdf5_compression" in p.stderr


def test_uid_named_like_the_times_group_is_refused(tmp_path, models):
    vids = tmp_path / "v"
    make_clips(vids, 1)
    os.rename(vids / "c00.mp4", vids / f"{TIMES}.mp4")
    make_clips(vids, 1, prefix="ok")
    out = tmp_path / "h"
    p = run_cli(*extract_args("mvit_k400", vids, out, models / "tiny_video.pt",
                              "io.out_format=hdf5"), check=1)
    assert f'invalid uid "{TIMES}"' in p.stdout + p.stderr
    with h5py.File(out / "features.h5", "r") as f:
        assert sorted(f) == [TIMES, "ok00"]
        assert list(f[TIMES]) == ["ok00"]


def to_group_layout(path):
    """Rewrites a features file into the first layout (a group per uid)."""
    old = {}
    with h5py.File(path, "r") as f:
        for u in f:
            if u != TIMES:
                old[u] = (f[u][()], f[TIMES][u][()], dict(f[u].attrs))
    os.remove(path)
    with h5py.File(path, "w") as f:
        f.attrs["format"] = "ego4dfeat features 1"
        for u, (x, t, attrs) in old.items():
            g = f.create_group(u)
            g["features"] = x
            g["window_start"] = t[:, 0]
            g["window_end"] = t[:, 1]
            for k, v in attrs.items():
                g.attrs[k] = v
    return old


def test_group_layout_resumes_and_is_converted(tmp_path, models):
    vids = tmp_path / "v"
    make_clips(vids, 3)
    out = tmp_path / "h"
    args = extract_args("mvit_k400", vids, out, models / "tiny_video.pt",
                        "io.out_format=hdf5", "--quiet")
    run_cli(*args, "io.uid_list=[c00,c01]", check=0)
    h5 = out / "features.h5"
    old = to_group_layout(h5)
    # Resume reads the old layout: nothing is recomputed.
    p = run_cli(*args, "io.uid_list=[c00,c01]", check=0)
    assert "0 done, 2 skipped" in p.stdout, p.stdout
    # The next merge writes the current layout, keeping c00 and c01.
    p = run_cli(*args, check=0)
    assert "1 done, 2 skipped" in p.stdout, p.stdout
    with h5py.File(h5, "r") as f:
        assert f.attrs["format"] == "ego4dfeat features 2"
        assert sorted(f) == [TIMES, "c00", "c01", "c02"]
        for u, (x, t, attrs) in old.items():
            assert np.array_equal(f[u][0:], x)
            assert np.array_equal(f[TIMES][u][()], t)
            assert dict(f[u].attrs) == attrs
        assert f[TIMES]["c02"].shape == (f["c02"].shape[0], 2)


def test_redo_leaves_no_stale_records(tmp_path, models):
    """io.on_mismatch=redo on hdf5: the new datasets keep a config
    attribute, config.yaml describes the run once every uid is its, and a
    clean finish leaves neither features.h5.parts/ nor the lock file."""
    vids = tmp_path / "v"
    uids = make_clips(vids, 2, seconds=2.0)
    out = tmp_path / "h"
    args = extract_args("mvit_k400", vids, out, models / "tiny_video.pt",
                        "io.out_format=hdf5", "--quiet")
    run_cli(*args, check=0)
    assert sorted(os.listdir(out)) == ["config.yaml", "features.h5"]
    first = (out / "config.yaml").read_text()
    # Redo one uid: c01 still has the first run's features, so config.yaml
    # stays the first run's and this run's goes beside it.
    run_cli(*args, "inference_config.stride=8", "io.on_mismatch=redo",
            "io.uid_list=[c00]", check=0)
    assert (out / "config.yaml").read_text() == first
    with h5py.File(out / "features.h5", "r") as f:
        assert "stride: 8" in f["c00"].attrs["config"]
        assert "stride: 16" in f["c01"].attrs["config"]
    # Redo the other: every output is this run's now.
    run_cli(*args, "inference_config.stride=8", "io.on_mismatch=redo",
            check=0)
    assert "stride: 8" in (out / "config.yaml").read_text()
    with h5py.File(out / "features.h5", "r") as f:
        for u in uids:
            assert "stride: 8" in f[u].attrs["config"]
    left = sorted(n for n in os.listdir(out) if not n.startswith("config"))
    assert left == ["features.h5"]
