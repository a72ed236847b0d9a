// CreateBlobStore: the BlobStore the configuration asks for (ASSET_STORAGE_PROVIDER): `local`
// (LocalStore), `s3` (S3Store, with the S3_* upload tuning), `supabase` (SupabaseStore).
// Creating a store makes no network call; reachability is Check()'s (/ready, storage check).
#pragma once

#include <memory>

#include "base/clock.h"
#include "base/result.h"
#include "config/config.h"
#include "storage/blob_store.h"

namespace vg::storage {

// The store for `config` (LOCAL_STORAGE_DIR, PUBLIC_BASE_URL, URL_SIGNING_SECRET for local;
// AWS_* and S3_* for s3; SUPABASE_* for supabase).
// `clock` is borrowed and may be null (system clock). The caller owns the store.
Result<std::unique_ptr<BlobStore>> CreateBlobStore(const config::Config& config,
                                                   const Clock* clock = nullptr);

}  // namespace vg::storage
