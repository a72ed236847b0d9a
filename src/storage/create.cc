// CreateBlobStore (see create.h).
#include "storage/create.h"

#include "storage/local_store.h"

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
    case config::StorageProvider::kS3:
      return Status(ErrorCode::kInvalidArgument, "S3 storage is not available yet.");
    case config::StorageProvider::kSupabase:
      return Status(ErrorCode::kInvalidArgument, "Supabase storage is not available yet.");
  }
  return Status(ErrorCode::kInternal, "Unknown storage provider.");
}

}  // namespace vg::storage
