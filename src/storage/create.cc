// CreateBlobStore (see create.h).
#include "storage/create.h"

#include "obs/log.h"
#include "storage/local_store.h"
#include "storage/s3_store.h"
#include "storage/supabase_store.h"

namespace vg::storage {

Result<std::unique_ptr<BlobStore>> CreateBlobStore(const config::Config& config,
                                                   const Clock* clock) {
  switch (config.storage_provider) {
    case config::StorageProvider::kLocal: {
      LocalStoreOptions options;
      options.root_dir = config.local_storage_dir;
      options.public_base_url = config.public_base_url;
      options.signing_secret = config.url_signing_secret;
      VG_ASSIGN_OR_RETURN(auto store, LocalStore::Open(std::move(options), clock));
      return std::unique_ptr<BlobStore>(std::move(store));
    }
    case config::StorageProvider::kS3: {
      S3StoreOptions options;
      options.multipart_threshold_bytes = int64_t{config.s3.multipart_threshold_mb} << 20;
      options.part_size_bytes = int64_t{config.s3.part_size_mb} << 20;
      options.parallel_parts = config.s3.upload_concurrency;
      VG_ASSIGN_OR_RETURN(auto store, S3Store::Create(config.s3, std::move(options), clock));
      return std::unique_ptr<BlobStore>(std::move(store));
    }
    case config::StorageProvider::kSupabase:
      return CreateSupabaseStore(config.supabase, clock);
  }
  return Status(ErrorCode::kInternal, "Unknown storage provider.");
}

}  // namespace vg::storage
