webpool::check_pool!(book_stage2::ThreadPool);
