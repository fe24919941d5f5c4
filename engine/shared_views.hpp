// SharedViews<T>: the read model's list of views (its bots), immutable once published and
// shared between successive read models. Each view is its own shared allocation, grouped in
// chunks of kChunk pointers; a read model made from the last one copies the chunk pointers
// only, and replacing a view copies its chunk (kChunk pointers), never the other views. So a
// publication after one bot changed costs a few hundred pointer copies at 10,000 bots instead
// of rebuilding 10,000 views (issue 18: publication in proportion to what changed).
//
// Reads look like a vector of T: size(), operator[], front/back, random-access iterators
// yielding const T&. Thread-safety: a published list is only read (any thread); the list being
// built belongs to its builder. A chunk is copied before a write unless the builder holds its
// only reference (a reader of an older read model holding it keeps its own copy intact).
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace be::engine {

template <class T>
class SharedViews {
 public:
  static constexpr std::size_t kChunk = 64;
  using Shared = std::shared_ptr<const T>;

  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    const_iterator(const SharedViews* list, std::size_t i) : list_(list), i_(i) {}
    reference operator*() const { return (*list_)[i_]; }
    pointer operator->() const { return &(*list_)[i_]; }
    reference operator[](difference_type n) const { return (*list_)[offset(n)]; }
    const_iterator& operator++() { return ++i_, *this; }
    const_iterator operator++(int) { return {list_, i_++}; }
    const_iterator& operator--() { return --i_, *this; }
    const_iterator operator--(int) { return {list_, i_--}; }
    const_iterator& operator+=(difference_type n) { return i_ = offset(n), *this; }
    const_iterator& operator-=(difference_type n) { return i_ = offset(-n), *this; }
    friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
    friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
    friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.i_ == b.i_;
    }
    friend auto operator<=>(const const_iterator& a, const const_iterator& b) {
      return a.i_ <=> b.i_;
    }

   private:
    std::size_t offset(difference_type n) const {
      return static_cast<std::size_t>(static_cast<difference_type>(i_) + n);
    }
    const SharedViews* list_ = nullptr;
    std::size_t i_ = 0;
  };
  using iterator = const_iterator;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const T& operator[](std::size_t i) const { return *(*chunks_[i / kChunk])[i % kChunk]; }
  const T& front() const { return (*this)[0]; }
  const T& back() const { return (*this)[size_ - 1]; }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }
  // The view at i as its shared allocation: what the next list may share.
  const Shared& shared(std::size_t i) const { return (*chunks_[i / kChunk])[i % kChunk]; }

  void push_back(Shared view) {
    if (size_ % kChunk == 0) {
      chunks_.push_back(std::make_shared<Chunk>());
      chunks_.back()->reserve(kChunk);
    }
    writable(chunks_.size() - 1).push_back(std::move(view));
    ++size_;
  }
  void push_back(T view) { push_back(std::make_shared<const T>(std::move(view))); }
  void replace(std::size_t i, Shared view) { writable(i / kChunk)[i % kChunk] = std::move(view); }
  void clear() noexcept {
    chunks_.clear();
    size_ = 0;
  }
  // Removes [first, last): the later views move down (every later chunk is rebuilt).
  void erase(const_iterator first, const_iterator last) {
    std::vector<Shared> kept;
    kept.reserve(size_);
    for (std::size_t i = 0; i < size_; ++i)
      if (i < static_cast<std::size_t>(first - begin()) ||
          i >= static_cast<std::size_t>(last - begin()))
        kept.push_back(shared(i));
    clear();
    for (Shared& v : kept)
      push_back(std::move(v));
  }

 private:
  using Chunk = std::vector<Shared>;
  Chunk& writable(std::size_t k) {
    if (chunks_[k].use_count() != 1) {
      auto copy = std::make_shared<Chunk>(*chunks_[k]);
      copy->reserve(kChunk);
      chunks_[k] = std::move(copy);
    }
    return *chunks_[k];
  }
  std::vector<std::shared_ptr<Chunk>> chunks_;
  std::size_t size_ = 0;
};

}  // namespace be::engine
